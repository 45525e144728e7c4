"""What people read: figures, the notebook helpers, exports and the HTML report.

- :mod:`.figures`  paper-ready figures with an embedded CJK font and the CSV of their data
- :mod:`.notebook` what the notebooks call: load a run, check parameters, figure recipes
- :mod:`.execute`  run the notebook suite with papermill
- :mod:`.export`   results.xlsx, LaTeX tables, the REFI-QDA project
- :mod:`.html`     the offline HTML report
"""
