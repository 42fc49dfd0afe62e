#include "gossip/part_delta.h"

#include <sodium.h>
#include <zstd.h>

#include <array>
#include <memory>

#include "core/big_endian.h"

namespace shoal::gossip {
namespace {

constexpr size_t kHashBytes = 8;  // a delta begins with its base's hash, big-endian
constexpr int kLevel = 3;
constexpr int kWindowLogMax = 22;  // 4 MB: base and part are both under max_part_bytes (1 MB)

struct CctxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* Compressor() {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxFree> cctx(ZSTD_createCCtx());
  return cctx.get();
}

ZSTD_DCtx* Decompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(ZSTD_createDCtx());
  return dctx.get();
}

}  // namespace

uint64_t PartHash(std::string_view part) {
  static constexpr std::array<unsigned char, crypto_shorthash_KEYBYTES> kKey{};  // naming, not secrecy
  std::array<unsigned char, crypto_shorthash_BYTES> out{};
  crypto_shorthash(out.data(), reinterpret_cast<const unsigned char*>(part.data()), part.size(), kKey.data());
  return GetBigEndian(out.data(), static_cast<int>(out.size()));  // the same on every host
}

std::optional<std::string> EncodeDelta(std::string_view base, std::string_view part) {
  ZSTD_CCtx* c = Compressor();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  if (ZSTD_isError(ZSTD_CCtx_refPrefix(c, base.data(), base.size()))) return std::nullopt;
  std::string out(kHashBytes + ZSTD_compressBound(part.size()), '\0');
  PutBigEndian(reinterpret_cast<uint8_t*>(out.data()), PartHash(base), static_cast<int>(kHashBytes));
  const size_t n = ZSTD_compress2(c, out.data() + kHashBytes, out.size() - kHashBytes, part.data(), part.size());
  if (ZSTD_isError(n) || kHashBytes + n >= part.size()) return std::nullopt;
  out.resize(kHashBytes + n);
  return out;
}

Result<std::string> ApplyDelta(std::string_view base, std::string_view delta, size_t max_bytes) {
  if (delta.size() <= kHashBytes) return MakeError("a part's delta of {} bytes is too short", delta.size());
  if (GetBigEndian(delta, 0, static_cast<int>(kHashBytes)) != PartHash(base)) {
    return MakeError("a part's delta is from a part not held here");
  }
  const std::string_view frame = delta.substr(kHashBytes);
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR) {
    return MakeError("a part's delta does not say its part's size");
  }
  if (size == 0 || size > max_bytes) return MakeError("a part's delta rebuilds {} bytes (at most {})", size, max_bytes);
  ZSTD_DCtx* d = Decompressor();
  ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, kWindowLogMax);
  if (ZSTD_isError(ZSTD_DCtx_refPrefix(d, base.data(), base.size()))) return MakeError("a part's base is refused");
  std::string part(size, '\0');
  const size_t n = ZSTD_decompressDCtx(d, part.data(), part.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) return MakeError("a part's delta does not decode: {}", ZSTD_getErrorName(n));
  if (n != size) return MakeError("a part's delta rebuilt {} of the {} bytes it names", n, size);
  return part;
}

}  // namespace shoal::gossip
