"""How people write: names and nicknames, chat short forms, misspellings, and whether a
model's words are grounded in the person's own.
"""
