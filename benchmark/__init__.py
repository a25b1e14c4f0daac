"""`vigil bench NAME` and the benchmarks it runs; like tests/, may import any component."""
