// Dropout, weight init and sampling draw from torch's one global generator; test classes running in parallel would
// interleave their draws and make seeded results (resume equivalence, same-seed histories) flaky. The machine has two
// cores that torch already uses, so little is lost by running classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
