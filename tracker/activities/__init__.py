"""Activities: what a member logs until it is reviewed (lifecycle, 1+N tutoring, evidence)."""
