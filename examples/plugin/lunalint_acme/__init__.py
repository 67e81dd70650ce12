"""Example lunalint plugin: ACME's site policy for Luna client configurations."""
