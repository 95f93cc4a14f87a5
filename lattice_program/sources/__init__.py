"""Where objects come from and what they mean: files and directories, a live cluster read
through the official client, the typed Gateway API and AWS-CRD models, and the indexed
snapshot the translator reads.  May import ``vocabulary``."""
