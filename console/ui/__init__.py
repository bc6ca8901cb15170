"""The Textual user interface. It reaches AWS and hosts only through ``console.services``
and never imports boto3, botocore, paramiko or subprocess (tests/unit/test_import_boundaries).

- ``views/``: the panes of the main screen (Instances, Buckets, Jobs, GPU, Files)
- ``screens/``: the main screen and the dialogs (help, confirm)
- ``widgets/``: reusable widgets (declarative resource table, ``:`` prompt)
- ``failures``, ``guards``, ``background``: how workers fail, how destructive actions are
  asked for and refused, how blocking calls are waited for

A new view: subclass ``ResourceView`` (``fetch`` in a worker thread, ``show_items`` on the
UI thread, columns declared as ``Column`` tuples) or ``ConsoleView``, and list it in
``views.VIEWS``; its number key, ``:`` name, tab, help and palette entries follow from that.
Destructive actions go through ``app.run_destructive`` (asks first, refused in read-only).
Text from outside (names, keys, output, error messages) is shown as written: text widgets
come from ``widgets.literal``, styled text is built with ``text`` (never markup), and the
app's notifications are literal (tests/unit/test_ui_literal_guard.py holds the UI to it).
"""
