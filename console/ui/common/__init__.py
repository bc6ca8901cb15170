"""What every view and screen shares: literal text widgets, tables, dialogs, the footer, the palette, failure reporting."""
