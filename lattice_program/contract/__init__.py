"""The requests the model implies and their check against botocore's VPC Lattice model,
and the pipeline (parse → translate → contract) every way of use runs.  May import
``vocabulary``, ``sources``, ``translate`` and ``components.specs``."""
