"""Looking at a stack and at the machine it runs on, for people: ``latticectl doctor``
(``doctor.py`` and ``checks/``) and ``latticectl graph``, the picture of Kubernetes objects
to the VPC Lattice resources the plan makes (``graph.py`` the model, one renderer per
format). Sits beside ``watch``; may import ``engine`` and every room below it, never a
sibling room."""
