#include "tests/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace nrpf::test {

namespace {

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> v;
  for (std::string& s : strings) v.push_back(s.data());
  v.push_back(nullptr);
  return v;
}

}  // namespace

pid_t SpawnChild(const std::vector<std::string>& args, const std::vector<std::string>& env, int in, int out, int err) {
  std::vector<std::string> argv_strings = args, env_strings = env;
  std::vector<char*> argv = Pointers(argv_strings), envp = Pointers(env_strings);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (in >= 0) dup2(in, 0);
  if (out >= 0) dup2(out, 1);
  if (err >= 0) dup2(err, 2);
  execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

pid_t SpawnChildToFiles(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t pid = SpawnChild(args, {"PATH=/usr/bin:/bin"}, -1, out, err);
  close(out);
  close(err);
  return pid;
}

int ReapChild(pid_t pid, std::chrono::milliseconds watchdog) {
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace nrpf::test
