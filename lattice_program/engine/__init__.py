"""What talks to Pulumi and AWS at run time: the Automation API driver and the direct
target sync.  May import every room below it."""
