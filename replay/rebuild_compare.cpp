#include "replay/rebuild_compare.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <thread>

#include "ledger/sealer.h"
#include "projections/projector.h"

namespace nrpf::replay {

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  return lines;
}

// "projections|next_position=N|..." -> N.
std::uint64_t NextPosition(const std::string& dump) {
  const std::string key = "|next_position=";
  const std::size_t at = dump.find(key);
  return at == std::string::npos ? 0 : std::stoull(dump.substr(at + key.size()));
}

// The dumps hold personal data when the log was opened with the master key:
// the files are the owner's only (0600, in a 0700 directory).
Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  return ledger::WriteSecretFile(path.string(), text);
}

}  // namespace

Result<std::string> FollowedDump(const ledger::Ledger& ledger, std::uint64_t up_to) {
  projections::Projector follower(&ledger);
  follower.Start();
  Status s = follower.WaitFor(up_to, std::chrono::minutes(30));
  if (!s.ok()) return s;
  follower.Stop();
  if (follower.next_position() != up_to) {
    return Status::FailedPrecondition("the log moved on while it was followed; compare on a copy or read-only view");
  }
  return follower.Read([](const projections::Projections& p) { return p.Dump(); });
}

Result<RebuildComparison> CompareRebuild(const ledger::Ledger& ledger, const std::string& live_dump,
                                         const std::string& scratch_dir) {
  RebuildComparison cmp;
  cmp.position = NextPosition(live_dump);
  if (cmp.position > ledger.Size()) {
    return Status::InvalidArgument("the live projections are at position " + std::to_string(cmp.position) +
                                   ", beyond this copy of the log (" + std::to_string(ledger.Size()) + " events)");
  }
  auto rebuilt = std::make_unique<projections::Projections>();
  NRPF_RETURN_IF_ERROR(projections::FoldLog(ledger, cmp.position, rebuilt.get()));
  const std::string dump = rebuilt->Dump();
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  std::filesystem::permissions(scratch_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  NRPF_RETURN_IF_ERROR(WriteFile(std::filesystem::path(scratch_dir) / "rebuilt.dump", dump));
  NRPF_RETURN_IF_ERROR(WriteFile(std::filesystem::path(scratch_dir) / "live.dump", live_dump));
  std::vector<std::string> a = Lines(dump), b = Lines(live_dump);
  cmp.rebuilt_lines = a.size();
  cmp.live_lines = b.size();
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(cmp.only_rebuilt));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(cmp.only_live));
  if (cmp.only_rebuilt.size() > 100) cmp.only_rebuilt.resize(100);
  if (cmp.only_live.size() > 100) cmp.only_live.resize(100);
  return cmp;
}

}  // namespace nrpf::replay
