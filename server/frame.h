// Binary frames of the API (schema/api.fbs):
//
//   frame  := size: uint32 little-endian || buffer: byte[size]
//   buffer := a FlatBuffer, file_identifier "NRPA", root Request (client to
//             server) or Response (server to client)
//
// The prefix is FlatBuffers' own size prefix, so a whole frame is what
// FinishSizePrefixed() produces. Every inbound buffer passes the generated
// verifier, with the bounds below, before any field is read.

#ifndef NRPF_SERVER_FRAME_H_
#define NRPF_SERVER_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "schema/api_generated.h"

namespace nrpf::api {

inline constexpr std::size_t kFramePrefixBytes = 4;
inline constexpr const char* kFileIdentifier = "NRPA";
// The deepest a valid Request nests (Request > CreateCase > PersonDetails >
// [IdentityDocument] > IdentityDocument is 5) with room to grow.
inline constexpr unsigned kRequestMaxDepth = 16;
// Tables in one Request: 31 people with 8 documents each is under 400.
inline constexpr unsigned kRequestMaxTables = 4096;
// Responses are made by the server; clients verify them with wider bounds.
inline constexpr unsigned kResponseMaxDepth = 32;
inline constexpr unsigned kResponseMaxTables = 1u << 20;

// The size in a frame prefix.
std::uint32_t DecodeFramePrefix(const unsigned char prefix[kFramePrefixBytes]);

// The Request in `frame` (prefix included, so that the verifier checks
// alignment as the sender laid it out) when it passes the verifier and the
// prefix matches the frame's length; nullptr otherwise.
// REQUIRES: frame.data() is 8-byte aligned (std::string storage is).
const fb::Request* VerifiedRequest(std::string_view frame);
// The same for a Response.
const fb::Response* VerifiedResponse(std::string_view frame);

}  // namespace nrpf::api

#endif  // NRPF_SERVER_FRAME_H_
