#include "daemon/policy_archive.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/policy_store.h"

namespace shoal::daemon {
namespace fs = std::filesystem;

Result<PolicyArchive> PolicyArchive::Open(std::string dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return MakeError("cannot create the policy archive {}: {}", dir, ec.message());
  PolicyArchive archive(std::move(dir));
  for (const auto& entry : fs::directory_iterator(archive.dir_, ec)) {
    if (entry.path().extension() != ".policy") continue;
    auto stored = ReadPolicyFile(entry.path().string());
    if (!stored.ok() || !stored->has_value()) {
      spdlog::warn("policy archive: {} left out: {}", entry.path().string(),
                   stored.ok() ? "vanished" : stored.error().message);
      continue;
    }
    archive.versions_.push_back((*stored)->first);
  }
  if (ec) return MakeError("cannot read the policy archive {}: {}", archive.dir_, ec.message());
  std::sort(archive.versions_.begin(), archive.versions_.end());
  return archive;
}

std::string PolicyArchive::PathOf(const policy::PolicyVersion& v) const {
  return fmt::format("{}/{:020}-{:016x}.policy", dir_, v.hlc, v.origin.value);
}

Status PolicyArchive::Add(const policy::PolicyVersion& version, const std::string& blob) {
  auto at = std::lower_bound(versions_.begin(), versions_.end(), version);
  if (at != versions_.end() && *at == version) return Status::Ok();
  if (auto s = WritePolicyFile(PathOf(version), version, blob); !s.ok()) {
    if (!pending_ || pending_->first < version) pending_ = StoredPolicy{version, blob};
    return s;
  }
  if (pending_ && !(version < pending_->first)) pending_.reset();
  versions_.insert(at, version);
  while (versions_.size() > kKept) {
    std::error_code ec;
    fs::remove(PathOf(versions_.front()), ec);
    if (ec) spdlog::warn("policy archive: cannot remove {}: {}", PathOf(versions_.front()), ec.message());
    versions_.erase(versions_.begin());
  }
  return Status::Ok();
}

Result<std::optional<policy::PolicyVersion>> PolicyArchive::RetryPending() {
  if (!pending_) return std::optional<policy::PolicyVersion>();
  const StoredPolicy p = *pending_;
  if (auto s = Add(p.first, p.second); !s.ok()) return s.error();
  pending_.reset();
  return std::optional(p.first);
}

Status PolicyArchive::Adopt(const std::string& legacy_file) {
  auto stored = ReadPolicyFile(legacy_file);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return Status::Ok();
  if (auto s = Add((*stored)->first, (*stored)->second); !s.ok()) return s;
  std::error_code ec;
  fs::remove(legacy_file, ec);
  if (ec) spdlog::warn("policy archive: {} taken in, but not removed: {}", legacy_file, ec.message());
  return Status::Ok();
}

Result<std::optional<StoredPolicy>> PolicyArchive::Newest() const {
  if (versions_.empty()) return std::optional<StoredPolicy>();
  auto blob = Blob(versions_.back());
  if (!blob.ok()) return blob.error();
  return std::optional<StoredPolicy>(StoredPolicy{versions_.back(), std::move(*blob)});
}

std::optional<policy::PolicyVersion> PolicyArchive::FindRevision(uint32_t revision) const {
  for (auto it = versions_.rbegin(); it != versions_.rend(); ++it) {
    if (it->revision == revision) return *it;
  }
  return std::nullopt;
}

std::optional<policy::PolicyVersion> PolicyArchive::Find(const policy::PolicyVersion& version) const {
  auto at = std::lower_bound(versions_.begin(), versions_.end(), version);
  if (at == versions_.end() || *at != version) return std::nullopt;
  return *at;
}

Result<std::string> PolicyArchive::Blob(const policy::PolicyVersion& version) const {
  const std::string path = PathOf(version);
  auto stored = ReadPolicyFile(path);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return MakeError("{} is no longer kept ({} is missing)", version.ToString(), path);
  return std::move((*stored)->second);
}

}  // namespace shoal::daemon
