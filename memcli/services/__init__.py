"""The services ``Memory`` delegates to: adding, reading, editing, search, learning
(extraction and reconciliation), episodes, sessions, forgetting, consolidation, erasure,
export and import, and the calibration of chat models.
"""
