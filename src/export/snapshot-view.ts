import type { EndpointSetView, SnapshotView } from '../../plugin-api/plugin.js';
import { formatPorts } from '../core/ports.js';
import type { EndpointSet, Snapshot } from '../core/types.js';

/**
 * The plain data view exporter plugins render from: Microsoft's wire shape (port lists as
 * strings), deep-frozen so that no plugin can change what the next one sees. Built once per
 * snapshot object.
 */
const views = new WeakMap<Snapshot, SnapshotView>();

function setView(s: EndpointSet): EndpointSetView {
  return Object.freeze({
    id: s.id,
    serviceArea: s.serviceArea,
    serviceAreaDisplayName: s.serviceAreaDisplayName,
    category: s.category,
    required: s.required,
    expressRoute: s.expressRoute,
    urls: Object.freeze([...s.urls]),
    ips: Object.freeze([...s.ips]),
    tcpPorts: formatPorts(s.tcpPorts),
    udpPorts: formatPorts(s.udpPorts),
    ...(s.notes !== undefined ? { notes: s.notes } : {}),
  });
}

export function snapshotView(snapshot: Snapshot): SnapshotView {
  let view = views.get(snapshot);
  if (view === undefined) {
    view = Object.freeze({
      version: snapshot.version,
      instance: snapshot.instance,
      fetchedAt: snapshot.fetchedAt,
      sets: Object.freeze(snapshot.sets.map(setView)),
    });
    views.set(snapshot, view);
  }
  return view;
}
