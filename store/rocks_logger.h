// RocksDB's own log, sent to the daemon's log (warnings and errors only)
// instead of a LOG file in the store's directory. A LOG file is one more
// file written on a disk that may be full, and RocksDB 7.8 aborts the
// process when it writes again to a log file whose write once failed.
#pragma once

#include <memory>

namespace rocksdb {
class Logger;
}

namespace shoal::store {

std::shared_ptr<rocksdb::Logger> NewRocksLogger();

}  // namespace shoal::store
