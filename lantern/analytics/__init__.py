"""Pure analytics for Lantern (no Django imports anywhere under this package)."""
