"""The Pulumi program: the one function that declares the model as components, the stack
program ``__main__.py`` runs, the offline plan under Pulumi's mock runtime and its JSON
document, and the look-ups made when a stack is applied (networks adopted by name, ACM
certificates).  May import every room below it and ``components``."""
