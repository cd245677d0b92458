"""The bottom floor: errors, the fixed vocabularies, the record types, settings, text and time
utilities, files and privacy screening. Imports nothing else of memcli.
"""
