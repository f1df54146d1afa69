"""Reading results sent by labs and hospitals (issue #6): parsing and validation only.

Writes go through services.import_results, which calls services.record_result per row.
"""
