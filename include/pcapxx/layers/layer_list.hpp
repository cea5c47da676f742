// pcapxx layers: editing a decoded packet. A LayerList is an ordered list of serializable layers
// (gopacket's SerializeLayers over a []SerializableLayer): take the layers of a decoded Packet,
// change fields, insert or remove whole layers, swap the payload, then serialize with fix-ups.
//
//   Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
//   LayerList list(pkt);
//   Dot1Q tag;
//   tag.vlan_id = 42;
//   list.insert_after<Ethernet>(tag);      // Ethernet now says 0x8100, the tag the old EtherType
//   list.remove<Ipv6Fragment>();           // IPv6's next header now names what followed it
//   list.set_payload(new_bytes);           // the application data after the transport layer
//   list.serialize(buf, {.fix_lengths = true, .compute_checksums = true});
//
// insert() and remove() keep the protocol chain consistent: the "next protocol" field (EtherType,
// IP protocol / IPv6 next header, PPP protocol) of the layer before the edit is set to name its
// new neighbour, and an inserted layer's own field names the layer after it. When that layer has
// no number in the field's space (Payload, a custom layer) the old value is carried over, so a
// VLAN tag inserted in front of LLDP keeps 0x88cc. A field that already holds a VLAN TPID
// (0x8100, 0x88a8, 0x9100) is kept when the next layer is a tag (QinQ). Lengths and checksums
// are fixed by the SerializeOptions, not by the edit. Labels inside one MPLS stack are edited
// with Mpls::insert / Mpls::erase.
//
// Layers view bytes (options, payloads, a Payload's contents): those of the decoded packet and of
// anything inserted must outlive the list. Nothing here allocates except an error message.
//
// Limits: a removed layer's trailer (Ethernet padding reported by IPv4/UDP) goes with it; frames
// are not padded to 60 bytes; custom layers are not linked (no number is known for them).
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "pcapxx/decode.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::layers {

/// An editable, serializable list of layers.
class LayerList {
 public:
  static constexpr std::size_t kMaxLayers = Packet::kMaxLayers;

  /// An empty list (for crafting with push_back).
  LayerList() = default;
  /// The layers of a decoded packet (all of them: a lazy packet decodes the rest), and the bytes
  /// after the last one (undecoded or failed bytes), which serialize() writes unchanged.
  explicit LayerList(const Packet& packet) noexcept { assign(packet); }
  /// Replaces the list with the layers of `packet` (reuses this object: no 4 KiB clear).
  void assign(const Packet& packet) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// The layers, outermost first.
  [[nodiscard]] std::span<Layer> layers() noexcept { return {layers_.data(), count_}; }
  [[nodiscard]] std::span<const Layer> layers() const noexcept { return {layers_.data(), count_}; }
  Layer& operator[](std::size_t i) noexcept { return layers_[i]; }
  const Layer& operator[](std::size_t i) const noexcept { return layers_[i]; }
  /// The first layer of type T, or nullptr.
  template <class T>
  [[nodiscard]] T* layer() noexcept {
    for (std::size_t i = 0; i < count_; ++i)
      if (auto* p = layers_[i].as<T>()) return p;
    return nullptr;
  }
  template <class T>
  [[nodiscard]] const T* layer() const noexcept {
    return const_cast<LayerList*>(this)->layer<T>();
  }
  /// Index of the first layer of `type` at or after `from`.
  [[nodiscard]] std::optional<std::size_t> index_of(LayerType type, std::size_t from = 0) const noexcept;

  /// Inserts a layer before index `at` (size() appends) and links it into the protocol chain.
  Result<void> insert(std::size_t at, AnyLayer layer);
  template <class L>
  Result<void> insert(std::size_t at, L layer) {
    return insert(at, AnyLayer(std::in_place_type<L>, std::move(layer)));
  }
  /// Inserts a layer right after the first layer of type Where.
  template <class Where, class L>
  Result<void> insert_after(L layer) {
    const auto i = index_of(Where::kType);
    if (!i) return missing(Where::kType);
    return insert(*i + 1, std::move(layer));
  }
  /// Inserts a layer right before the first layer of type Where.
  template <class Where, class L>
  Result<void> insert_before(L layer) {
    const auto i = index_of(Where::kType);
    if (!i) return missing(Where::kType);
    return insert(*i, std::move(layer));
  }
  /// Appends a layer (crafting): the same as insert(size(), layer).
  template <class L>
  Result<void> push_back(L layer) {
    return insert(count_, std::move(layer));
  }

  /// Removes the layer at index `at` and links its neighbours.
  Result<void> remove(std::size_t at);
  /// Removes the first layer of type T.
  template <class T>
  Result<void> remove() {
    const auto i = index_of(T::kType);
    if (!i) return missing(T::kType);
    return remove(*i);
  }

  /// Replaces the application data: the layers after the innermost transport layer (else the
  /// innermost control layer such as ICMP, else the last non-application layer) and the bytes
  /// after the last layer give way to one Payload layer holding `bytes` (none when empty).
  void set_payload(std::span<const std::byte> bytes) noexcept;
  /// The bytes written after the last layer (undecoded or failed bytes of the packet).
  [[nodiscard]] std::span<const std::byte> tail() const noexcept { return tail_; }

  /// Writes the layers into buf (cleared first), innermost first, with each layer's trailer.
  /// Unchanged and without fix-ups, a list made from a Packet gives the packet's bytes.
  void serialize(SerializeBuffer& buf, const SerializeOptions& options = {}) const;

 private:
  static std::unexpected<Error> missing(LayerType type);

  std::array<Layer, kMaxLayers> layers_{};
  std::size_t count_ = 0;
  std::span<const std::byte> tail_;
};

namespace detail {
/// Serializes `layers` (outermost first) and `tail` after them into buf; shared by
/// Packet::serialize and LayerList::serialize.
void serialize_stack(std::span<const Layer> layers, std::span<const std::byte> tail, SerializeBuffer& buf,
                     const SerializeOptions& options);
}  // namespace detail

}  // namespace pcapxx::layers
