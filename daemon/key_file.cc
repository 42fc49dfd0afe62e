#include "daemon/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/text_lines.h"

namespace shoal::daemon {

Result<gossip::Keyring> LoadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError("cannot read key file {}: {}", path, std::strerror(errno));
  gossip::Keyring ring;
  std::optional<Error> bad;
  ForEachMeaningfulLine(in, [&](const std::string& line, int number) {
    auto key = gossip::Keyring::ParseKey(line);
    if (!key.ok()) {
      if (!bad) bad = MakeError("{}:{}: {}", path, number, key.error().message);
      return;
    }
    ring.Add(*key);
  });
  if (bad) return *bad;
  if (ring.empty()) {
    return MakeError("key file {} holds no key (create one with: shoald --generate-key {})",
                     path, path);
  }
  return ring;
}

Status ReloadKeyFile(const std::string& path, gossip::Keyring& ring) {
  auto fresh = LoadKeyFile(path);
  if (!fresh.ok()) return fresh.error();
  for (uint32_t id : fresh->ids()) ring.Add(*fresh->Find(id));
  if (auto s = ring.MakePrimary(fresh->primary_id()); !s.ok()) return s;
  for (uint32_t id : ring.ids()) {
    if (fresh->Find(id) == nullptr) (void)ring.Remove(id);
  }
  return Status::Ok();
}

Status WriteKeyFile(const std::string& path, const gossip::Keyring& ring) {
  std::string text =
      "# Shoal pool keys, the primary first; written by shoald for shoalctl keyring (edits are kept\n"
      "# until the next keyring change; send shoald SIGHUP after editing).\n";
  text += gossip::Keyring::FormatKey(*ring.Find(ring.primary_id())) + "\n";
  for (uint32_t id : ring.ids()) {
    if (id != ring.primary_id()) text += gossip::Keyring::FormatKey(*ring.Find(id)) + "\n";
  }
  // Named by process: daemons sharing one file (a demo, a test) never meet on it.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError("cannot write {}: {}", tmp, std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    return MakeError("cannot write {}: {}", tmp, std::strerror(ok ? errno : err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return MakeError("cannot replace {}: {}", path, std::strerror(e));
  }
  return Status::Ok();
}

Status WriteNewKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return MakeError("cannot create key file {}: {}", path, std::strerror(errno));
  const std::string text = "# Shoal pool key: copy this file to every node of the pool.\n" +
                           gossip::Keyring::FormatKey(gossip::Keyring::Generate()) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (!ok || !closed) return MakeError("cannot write key file {}: {}", path, std::strerror(errno));
  return Status::Ok();
}

}  // namespace shoal::daemon
