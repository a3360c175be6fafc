// Status and Result<T>: the error values every fallible call returns.
//
// Errors are values with a stable code and a human-readable message. Codes are
// part of the public contract (the network API maps them one to one) and are
// only ever added, never renumbered. Foreign errors (rocksdb::Status, errno)
// are converted once, at the library boundary that meets them.

#ifndef NRPF_LEDGER_STATUS_H_
#define NRPF_LEDGER_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nrpf {

enum class Code : std::uint16_t {
  kOk = 0,
  kInvalidArgument = 1,      // the caller's input is malformed or out of range
  kNotFound = 2,             // no such position, stream, subject or key
  kWrongExpectedVersion = 3, // optimistic concurrency: the stream moved on
  kCommandIdReused = 4,      // a command id was retried with different content
  kCorruption = 5,           // stored bytes, tree or signature disagree
  kIOError = 6,              // the disk or RocksDB failed
  kShredded = 7,             // the data subject's key was destroyed
  kTooLarge = 8,             // a record, batch or frame exceeds its limit
  kUnavailable = 9,          // closed, read-only, or stopped after an I/O error
  kPermissionDenied = 10,    // the actor may not do this
  kFailedPrecondition = 11,  // the state does not allow the command
  kCancelled = 12,           // the operation was stopped before it finished
};

// Stable lower-case name of a code, e.g. "wrong_expected_version".
std::string_view CodeName(Code code);

// One field of a request that a check found wrong: its path in the request
// as the JSON names it ("applicant.date_of_birth", "dependants[1].family_name"),
// a stable reason ("applicant_date_of_birth_invalid") and a message.
struct FieldError {
  std::string field;
  std::string reason;
  std::string message;

  bool operator==(const FieldError&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Shredded(std::string m) { return {Code::kShredded, std::move(m)}; }
  static Status TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  // The stream's current version travels with the error so the caller can
  // re-read and decide again without another round trip.
  static Status WrongExpectedVersion(std::string m, std::uint64_t current_version) {
    Status s(Code::kWrongExpectedVersion, std::move(m));
    s.current_version_ = current_version;
    return s;
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // Set only for kWrongExpectedVersion.
  std::optional<std::uint64_t> current_version() const { return current_version_; }

  // A finer stable code under code(), e.g. "wrong_tenant" under
  // kPermissionDenied; empty when the code says it all. Reasons are part of
  // the public contract like codes: only ever added.
  const std::string& reason() const { return reason_; }
  Status&& WithReason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }

  // Every field a check of the input found wrong, so a form can show them
  // all at once; empty when the error is not about fields. The status's own
  // reason and message are those of the first.
  const std::vector<FieldError>& fields() const { return fields_; }
  Status&& WithFields(std::vector<FieldError> fields) && {
    fields_ = std::move(fields);
    return std::move(*this);
  }
  // This status is about one field, at `path` in the request: fields() is
  // that field with this status's reason and message. Call after WithReason.
  Status&& WithField(std::string path) && {
    fields_ = {FieldError{std::move(path), reason_, message_}};
    return std::move(*this);
  }

  // "wrong_expected_version: stream case-1 is at version 3, expected 2", or
  // with a reason "permission_denied/wrong_tenant: ..."
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::optional<std::uint64_t> current_version_;
  std::string reason_;
  std::vector<FieldError> fields_;
};

// A value or the Status that explains its absence.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace nrpf

// Returns early from the enclosing function when `expr` is not ok.
#define NRPF_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::nrpf::Status _nrpf_s = (expr);        \
    if (!_nrpf_s.ok()) return _nrpf_s;      \
  } while (0)

#endif  // NRPF_LEDGER_STATUS_H_
