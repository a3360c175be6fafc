// A RocksDB file system for tests that need the disk to fail: the local file
// system, except that syncs of WAL files fail while `fail` is set, or wait
// while `hold` is set and then fail (as a full or dying disk makes them).
// Use it through rocksdb::NewCompositeEnv and LedgerOptions::env.

#ifndef NRPF_TESTS_FAILING_FS_H_
#define NRPF_TESTS_FAILING_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace nrpf::test {

class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  struct Switches {
    std::atomic<bool> fail{false};
    std::atomic<bool> hold{false};     // a sync waits here while set, then fails
    std::atomic<int> held_syncs{0};    // syncs waiting in `hold` now
  };

  explicit FailingFileSystem(Switches* switches)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), switches_(switches) {}
  const char* Name() const override { return "FailingFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok() && name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
      *result = std::make_unique<FailingFile>(std::move(*result), switches_);
    }
    return s;
  }

 private:
  class FailingFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FailingFile(std::unique_ptr<rocksdb::FSWritableFile> file, Switches* switches)
        : FSWritableFileOwnerWrapper(std::move(file)), switches_(switches) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = Refused(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = Refused(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    rocksdb::IOStatus Refused() {
      if (switches_->hold) {
        ++switches_->held_syncs;
        while (switches_->hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --switches_->held_syncs;
        return rocksdb::IOStatus::IOError("injected: the disk refused an fsync");
      }
      if (switches_->fail) return rocksdb::IOStatus::IOError("injected: the disk refused an fsync");
      return rocksdb::IOStatus::OK();
    }
    Switches* switches_;
  };

  Switches* switches_;
};

// An Env over FailingFileSystem.
inline std::unique_ptr<rocksdb::Env> FailingEnv(FailingFileSystem::Switches* switches) {
  return rocksdb::NewCompositeEnv(std::make_shared<FailingFileSystem>(switches));
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_FAILING_FS_H_
