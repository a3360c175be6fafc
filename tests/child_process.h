// Child processes of tests and benchmarks: started so that they die with
// their parent (PR_SET_PDEATHSIG), and reaped with a watchdog.

#ifndef NRPF_TESTS_CHILD_PROCESS_H_
#define NRPF_TESTS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace nrpf::test {

// Starts args[0] with `args` and the environment `env` ("NAME=value"); its
// stdin, stdout and stderr are the given descriptors (-1: inherited).
// Returns the pid, or -1.
pid_t SpawnChild(const std::vector<std::string>& args, const std::vector<std::string>& env, int in, int out, int err);

// The same with stdout and stderr written to files.
pid_t SpawnChildToFiles(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path);

// Waits for `pid` up to `watchdog`, then kills it with SIGKILL. Returns its
// exit status: the exit code, or 128 + the signal that ended it (-1 when it
// cannot be waited for).
int ReapChild(pid_t pid, std::chrono::milliseconds watchdog);

}  // namespace nrpf::test

#endif  // NRPF_TESTS_CHILD_PROCESS_H_
