#include "server/response_writer.h"

#include "server/api_error.h"
#include "server/frame.h"

#include <algorithm>

namespace nrpf::api {

namespace {

std::string Take(flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

std::string ResponseWriter::FinishAs(fb::Reply type, flatbuffers::Offset<void> body) {
  fb::ResponseBuilder b(fbb_);
  b.add_request_id(request_id_);
  b.add_kind(kind_);
  b.add_body_type(type);
  b.add_body(body);
  fbb_.FinishSizePrefixed(b.Finish(), kFileIdentifier);
  return Take(fbb_);
}

std::string ErrorFrame(std::uint64_t request_id, const Status& status, fb::FrameKind kind,
                       std::uint32_t retry_after_ms) {
  flatbuffers::FlatBufferBuilder fbb(256);
  auto error = BuildError(fbb, status, retry_after_ms);
  fb::ResponseBuilder b(fbb);
  b.add_request_id(request_id);
  b.add_kind(kind);
  b.add_error(error);
  fbb.FinishSizePrefixed(b.Finish(), kFileIdentifier);
  return Take(fbb);
}

std::vector<std::string> DocumentFrames(std::uint64_t request_id, std::string_view media_type,
                                        std::string_view document, std::string_view filename) {
  std::vector<std::string> frames;
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(kDocumentPartBytes, document.size() - offset);
    const bool last = offset + n == document.size();
    ResponseWriter w(request_id, last ? fb::FrameKind::Reply : fb::FrameKind::Part);
    auto type = w.fbb().CreateString(media_type.data(), media_type.size());
    auto data = w.fbb().CreateVector(reinterpret_cast<const std::uint8_t*>(document.data()) + offset, n);
    auto name = filename.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                 : w.fbb().CreateString(filename.data(), filename.size());
    frames.push_back(w.Finish(fb::CreateDocument(w.fbb(), type, document.size(), offset, data, name)));
    offset += n;
  } while (offset < document.size());
  return frames;
}

std::string AckFrame(std::uint64_t request_id) {
  ResponseWriter w(request_id);
  return w.Finish(fb::CreateAck(w.fbb()));
}

}  // namespace nrpf::api
