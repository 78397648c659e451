#pragma once
/// Message digests the S3 protocol needs beside the signature curl computes:
/// SHA-256 for x-amz-content-sha256 of small bodies and MD5 for Content-MD5 of
/// DeleteObjects, from OpenSSL's libcrypto (the library curl's TLS uses).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace k2::s3 {

/// SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
/// MD5 of `data`, raw 16 bytes.
std::array<uint8_t, 16> Md5(std::string_view data);
/// Standard base64 (with padding) of `data`.
std::string Base64(std::string_view data);

}  // namespace k2::s3
