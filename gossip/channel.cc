#include "gossip/channel.h"

#include "gossip/membership.h"

namespace shoal::gossip {

bool ChannelView::Live(NodeId origin) const { return membership_.IsLive(origin); }

const StoredEntry* ChannelView::Find(NodeId origin) const {
  return Live(origin) ? table_.Find(origin) : nullptr;
}

}  // namespace shoal::gossip
