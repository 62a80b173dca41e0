"""Read copies of other services' records that several services keep."""
