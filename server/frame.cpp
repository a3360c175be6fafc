#include "server/frame.h"

namespace nrpf::api {

std::uint32_t DecodeFramePrefix(const unsigned char prefix[kFramePrefixBytes]) {
  return static_cast<std::uint32_t>(prefix[0]) | static_cast<std::uint32_t>(prefix[1]) << 8 |
         static_cast<std::uint32_t>(prefix[2]) << 16 | static_cast<std::uint32_t>(prefix[3]) << 24;
}

namespace {

template <typename T>
const T* Verified(std::string_view frame, unsigned max_depth, unsigned max_tables) {
  if (frame.size() < kFramePrefixBytes + 8 || frame.size() > FLATBUFFERS_MAX_BUFFER_SIZE) return nullptr;
  const auto* data = reinterpret_cast<const std::uint8_t*>(frame.data());
  if (DecodeFramePrefix(data) != frame.size() - kFramePrefixBytes) return nullptr;
  flatbuffers::Verifier verifier(data, frame.size(), max_depth, max_tables);
  if (!verifier.VerifySizePrefixedBuffer<T>(kFileIdentifier)) return nullptr;
  return flatbuffers::GetSizePrefixedRoot<T>(data);
}

}  // namespace

const fb::Request* VerifiedRequest(std::string_view buffer) {
  return Verified<fb::Request>(buffer, kRequestMaxDepth, kRequestMaxTables);
}

const fb::Response* VerifiedResponse(std::string_view buffer) {
  return Verified<fb::Response>(buffer, kResponseMaxDepth, kResponseMaxTables);
}

}  // namespace nrpf::api
