// Builds Response frames (schema/api.fbs): a size-prefixed FlatBuffer ready
// to send on the binary listener, or to turn into JSON for HTTP.

#ifndef NRPF_SERVER_RESPONSE_WRITER_H_
#define NRPF_SERVER_RESPONSE_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "schema/api_generated.h"

namespace nrpf::api {

class ResponseWriter {
 public:
  explicit ResponseWriter(std::uint64_t request_id, fb::FrameKind kind = fb::FrameKind::Reply)
      : request_id_(request_id), kind_(kind), fbb_(256) {}
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Where the body is built, before Finish.
  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  // The whole frame (size prefix included) answering with `body`.
  template <typename T>
  std::string Finish(flatbuffers::Offset<T> body) {
    return FinishAs(fb::ReplyTraits<T>::enum_value, body.Union());
  }
  std::string FinishAs(fb::Reply type, flatbuffers::Offset<void> body);

 private:
  const std::uint64_t request_id_;
  const fb::FrameKind kind_;
  flatbuffers::FlatBufferBuilder fbb_;
};

// A frame answering `request_id` with `status`. REQUIRES: !status.ok().
std::string ErrorFrame(std::uint64_t request_id, const Status& status,
                       fb::FrameKind kind = fb::FrameKind::Reply, std::uint32_t retry_after_ms = 0);
// A frame answering `request_id` with Ack.
std::string AckFrame(std::uint64_t request_id);

// Largest piece of a Document one frame carries.
inline constexpr std::size_t kDocumentPartBytes = 256u << 10;
// The frames of a Document answer: Part frames of kDocumentPartBytes, then
// the Reply frame with the rest (one Reply frame for a small document);
// each names the document's `filename`, if it has one.
std::vector<std::string> DocumentFrames(std::uint64_t request_id, std::string_view media_type,
                                        std::string_view document, std::string_view filename = {});

// The Response of a frame this process built (no verification needed).
inline const fb::Response* ResponseOf(const std::string& frame) {
  return flatbuffers::GetSizePrefixedRoot<fb::Response>(frame.data());
}

}  // namespace nrpf::api

#endif  // NRPF_SERVER_RESPONSE_WRITER_H_
