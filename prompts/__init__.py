"""The prompt templates (*.md), a package only so that they ship in the wheel and are found with
importlib.resources in an installed copy as well as in a checkout."""
