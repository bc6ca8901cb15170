"""The Textual user interface. It reaches AWS and hosts only through ``console.services``
and never imports boto3, botocore, paramiko or subprocess (the layers contract in
pyproject.toml and tests/unit/test_import_boundaries.py hold it to that).

One folder per feature, mirroring the backends: ``instances/``, ``buckets/``, ``jobs/``,
``gpu/``, ``files/``, ``account/``; each holds its view (``view.py``) and the screens and
widgets only it uses. ``common/`` holds what they share: literal text widgets (``literal``,
``text``), the declarative resource table, dialogs (confirm, help, host key), the footer,
the ``:`` prompt, the palette, how workers fail (``failures``), how destructive actions are
asked for (``guards``), how blocking calls are waited for (``background``).
``main_screen`` is the tabbed main screen; ``registry`` lists the views in key order.

A new view: subclass ``ResourceView`` (``fetch`` in a worker thread, ``show_items`` on the
UI thread, columns declared as ``Column`` tuples) or ``ConsoleView`` from
``common.view_base``, and list it in ``registry.VIEWS``; its number key, ``:`` name, tab,
help and palette entries follow from that. Destructive actions go through
``app.run_destructive`` (asks first, refused in read-only). Text from outside (names, keys,
output, error messages) is shown as written: text widgets come from ``common.literal``,
styled text is built with ``common.text`` (never markup), and the app's notifications are
literal (tests/unit/test_ui_literal_guard.py holds the UI to it).
"""
