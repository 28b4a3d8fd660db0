// Torch keeps process-wide state (the default RNG, the thread count) that seeding, determinism and thread tests set:
// run test classes one at a time so one test's seed or thread count never leaks into another's numbers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
