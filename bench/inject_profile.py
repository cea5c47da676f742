#!/usr/bin/env python3
"""Splits the kernel time of a send path into stages, from `perf script -F ip,sym,dso` output.

Each sample goes to the stage of the innermost frame on its call chain that names one (so a
kmem_cache_alloc called by __alloc_skb counts as skb allocation, wherever that was called from).
"skb free" includes the peer's freeing of the frames it drops. Used by bench/inject_profile.sh.
"""
import collections
import re
import sys

STAGES = [
    ("skb free (incl. the peer's drop, tpacket completion, socket wmem)",
     r"^(kfree_skb|sk_skb_reason_drop|consume_skb|skb_release|__kfree_skb|kmem_cache_free|kfree$|skb_free_head|"
     r"napi_consume_skb|skb_defer_free|__free_frozen|free_frozen|free_unref|tpacket_destruct_skb|sock_wfree|"
     r"sock_def_write_space|skb_orphan)"),
    ("skb alloc", r"^(__alloc_skb|alloc_skb|sock_alloc_send|kmem_cache_alloc|kmalloc_reserve|__kmalloc|skb_set_owner_w|"
                  r"__build_skb|get_page_from_freelist|__alloc_frozen|__alloc_pages|alloc_pages)"),
    ("copy of frame bytes", r"^(_copy_from_iter|skb_copy_datagram_from_iter|copy_folio_from_iter|tpacket_fill_skb|"
                            r"skb_copy_ubufs|__pi_memcpy|memcpy|skb_put|skb_store_bits|__check_heap_object|"
                            r"__check_object_size|__virt_addr_valid)"),
    ("peer receive (netif_rx, backlog softirq, protocol lookup)",
     r"^(handle_softirqs|net_rx_action|process_backlog|__netif_receive|netif_receive|__netif_rx|netif_rx|"
     r"enqueue_to_backlog|do_softirq|__do_softirq|__local_bh_enable_ip|eth_type_trans|rps_|__napi_poll|napi_)"),
    ("veth_xmit (forward to the peer)", r"^(veth_|__dev_forward_skb|dev_forward_skb|skb_scrub_packet|is_skb_forwardable)"),
    ("qdisc / dev_queue_xmit / device layer",
     r"^(__dev_queue_xmit|dev_queue_xmit|dev_hard_start_xmit|validate_xmit|netif_skb_features|dev_queue_xmit_nit|"
     r"packet_direct_xmit|__dev_direct_xmit|dev_direct_xmit|netdev_core_pick_tx|netdev_pick_tx|"
     r"passthru_features_check|skb_network_protocol|sch_direct_xmit|__qdisc|pfifo|noop_enqueue|qdisc_|xmit_one|"
     r"dev_qdisc|skb_csum_hwoffload|netif_xmit|harmonize_features)"),
    ("packet socket (af_packet: packet_snd / tpacket_snd)", r"^(packet_|tpacket_|__packet_|po_|__tpacket)"),
    ("syscall entry/exit, socket layer, msghdr/iovec copy",
     r"^(entry_SYSCALL|do_syscall|syscall_|__x64_sys|__sys_|___sys_|__sys|sock_sendmsg|__sock_sendmsg|sock_write|"
     r"copy_msghdr|import_iovec|__import_iovec|copy_iovec|_copy_from_user|__put_user|fdget|__fget|sockfd_lookup|"
     r"exit_to_user|security_socket|__x86_return_thunk|its_return|__x86_indirect|sendmsg_copy|move_addr|sock_poll|"
     r"do_sys_poll)"),
]
STAGES = [(name, re.compile(pattern)) for name, pattern in STAGES]
USER = "user space (the sending loop, libpcap, libc, start-up)"
OTHER = "other kernel (scheduler, page faults, timers)"


def main() -> None:
    counts = collections.Counter()
    stack = []

    def flush() -> None:
        if not stack:
            return
        if stack[0][1]:
            counts[USER] += 1
            return
        for sym, user in stack:
            if user:
                break
            for name, pattern in STAGES:
                if pattern.match(sym):
                    counts[name] += 1
                    return
        counts[OTHER] += 1

    for line in sys.stdin:
        if not line.startswith((" ", "\t")) or not line.strip():
            flush()
            stack.clear()
            continue
        parts = line.split()
        if len(parts) >= 2:
            stack.append((parts[1].split("+")[0], "kernel" not in parts[-1]))
    flush()
    total = sum(counts.values())
    for name, c in counts.most_common():
        print(f"  {100.0 * c / max(total, 1):5.1f}%  {name}")
    print(f"  ({total} samples)")


if __name__ == "__main__":
    main()
