"""The engine: ``Core`` (the store, each user's index, the embedder, privacy screening) and
the one write path that keeps the HNSW files in step with the database.
"""
