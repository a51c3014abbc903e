"""The areas of the site, one blueprint (module or package) each. An area imports
the shared kit (blueprints.common), models, jobs and security, never another area."""
