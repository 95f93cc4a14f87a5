"""Installing the watch daemon: its Kubernetes objects (RBAC, Deployment, probes) as data
that ``latticectl render-daemon`` prints.  May import every room below ``engine``; never
``watch``, whose behaviour these objects only permit."""
