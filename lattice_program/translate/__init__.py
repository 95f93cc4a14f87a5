"""The pure translator: a snapshot per cluster and the stack settings in, the Lattice
model (``components.specs``) and every object's status out.  May import ``vocabulary``,
``sources`` and ``components.specs``; never Pulumi, pulumi_aws or botocore (the policy
checks are handed the API model's answers, see ``policies.PolicyContract``)."""
