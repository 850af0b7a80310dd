// Every node as a tile coloured by its load, its pods inside; Ready / NotReady / cordoned at a
// glance. Past FULL_TILES_MAX nodes the tiles shrink to one heat-map cell each (a click narrows
// the search to that node). The label filter is a label selector the API server applies to
// the nodes' list and watch, with its own parser and error messages.
import type { Node, Pod } from '@tugboat/api';
import { Component } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useLiveList } from '../api/reflector.js';
import { buildFleet, type NodeTile } from '../model/fleet.js';
import { nodeStatusText, percent, type ResourceLoad } from '../model/load.js';
import { podHealth, schedulingProblem } from '../model/pod-status.js';
import { formatCpu, formatMemory } from '../model/quantities.js';
import { podHref } from '../route.js';
import { Loading, Problem } from './common.js';

function Bar({ label, load, format }: { label: string; load: ResourceLoad; format: (n: number) => string }) {
  const width = (n: number): string => `${Math.min(100, load.allocatable > 0 ? (n / load.allocatable) * 100 : 0)}%`;
  const used = load.used === undefined ? '' : `, used ${format(load.used)} (${percent(load.used, load.allocatable)})`;
  return (
    <div class="bar" title={`${label}: requested ${format(load.requested)} of ${format(load.allocatable)} (${percent(load.requested, load.allocatable)})${used}`}>
      <span class="bar-label">{label}</span>
      <span class="bar-track">
        <span class="bar-requested" style={{ width: width(load.requested) }} />
        {load.used === undefined ? null : <span class="bar-used" style={{ width: width(load.used) }} />}
      </span>
      <span class="bar-value">{percent(load.requested, load.allocatable)} req{load.used === undefined ? '' : ` · ${percent(load.used, load.allocatable)} used`}</span>
    </div>
  );
}

function PodChip({ pod }: { pod: Pod }) {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  return (
    <a class={`pod ${podHealth(pod)}`} href={podHref(ns, name)} data-pod={`${ns}/${name}`} title={`${ns}/${name}`}
      data-terminating={pod.metadata?.deletionTimestamp ? 'true' : undefined}>{name}</a>
  );
}

function Tile({ tile }: { tile: NodeTile }) {
  const { state } = tile;
  return (
    <section class={`tile level-${tile.level} ${state.readiness === 'Ready' ? '' : 'not-ready'} ${state.cordoned ? 'cordoned' : ''}`}
      data-node={tile.name} data-state={state.readiness} data-cordoned={String(state.cordoned)}>
      <header>
        <span class="node-name">{tile.name}</span>
        <span class={`node-status ${state.readiness}`} data-role="node-status">{nodeStatusText(state)}</span>
      </header>
      <Bar label="cpu" load={tile.load.cpu} format={formatCpu} />
      <Bar label="mem" load={tile.load.memory} format={formatMemory} />
      <div class="pods" data-role="pods">
        {tile.pods.map((p) => <PodChip key={p.metadata?.uid} pod={p} />)}
      </div>
      <footer class="muted">{tile.pods.length} pod{tile.pods.length === 1 ? '' : 's'}</footer>
    </section>
  );
}

interface HeatCellProps { tile: NodeTile; pick: (name: string) => void }

// A class for shouldComponentUpdate: buildFleet hands back the same NodeTile while a node and its
// pods are unchanged, so a live update re-renders the few cells that changed, not 1,000.
class HeatCell extends Component<HeatCellProps> {
  override shouldComponentUpdate(next: HeatCellProps): boolean {
    return next.tile !== this.props.tile || next.pick !== this.props.pick;
  }

  override render() {
    const { tile, pick } = this.props;
    const { state } = tile;
    const title = `${tile.name}: ${nodeStatusText(state)}, ${tile.pods.length} pods, cpu ${percent(tile.load.cpu.requested, tile.load.cpu.allocatable)}, memory ${percent(tile.load.memory.requested, tile.load.memory.allocatable)}`;
    return (
      <button class={`cell level-${tile.level} ${state.readiness === 'Ready' ? '' : 'not-ready'} ${state.cordoned ? 'cordoned' : ''}`}
        title={title} data-node={tile.name} data-state={state.readiness} onClick={() => pick(tile.name)} />
    );
  }
}

export function FleetPage() {
  const [search, setSearch] = useState('');
  const [labelInput, setLabelInput] = useState('');
  const [selector, setSelector] = useState('');
  const nodes = useLiveList<Node>('/api/v1/nodes', selector ? `labelSelector=${encodeURIComponent(selector)}` : '');
  const pods = useLiveList<Pod>('/api/v1/pods');
  const fleet = useMemo(() => buildFleet(nodes.items, pods.items, search), [nodes.items, pods.items, search]);
  const s = fleet.summary;
  return (
    <div data-view="fleet">
      <div class="toolbar">
        <input type="search" placeholder="Search nodes" value={search} data-role="search"
          onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} />
        <form onSubmit={(e) => { e.preventDefault(); setSelector(labelInput.trim()); }}>
          <input type="text" placeholder="Label selector, e.g. zone=a,tier!=edge" value={labelInput} data-role="label-filter"
            onInput={(e) => setLabelInput((e.currentTarget as HTMLInputElement).value)} />
        </form>
        <span class="summary" data-role="summary">
          <b data-role="node-count">{s.nodes}</b> nodes · <span class="ok">{s.ready} Ready</span>
          {s.notReady ? <> · <span class="bad">{s.notReady} NotReady</span></> : null}
          {s.cordoned ? <> · <span class="waiting">{s.cordoned} cordoned</span></> : null}
          {' '}· <b data-role="pod-count">{s.pods}</b> pods{s.pending ? <> · <span class="waiting">{s.pending} pending</span></> : null}
        </span>
      </div>
      <Problem error={nodes.error ?? pods.error} />
      <Loading loading={nodes.loading || pods.loading} />
      {fleet.unscheduled.length ? (
        <div class="pending" data-role="pending">
          <h3>Waiting for a node</h3>
          {fleet.unscheduled.slice(0, 20).map((p) => (
            <div key={p.metadata?.uid}><PodChip pod={p} /> <span class="muted">{schedulingProblem(p)?.message ?? 'not scheduled yet'}</span></div>
          ))}
        </div>
      ) : null}
      {fleet.mode === 'tiles'
        ? <div class="tiles">{fleet.tiles.map((t) => <Tile key={t.name} tile={t} />)}</div>
        : (
          <>
            <p class="muted">{fleet.tiles.length} nodes: one cell each, coloured by load (red outline: not Ready; striped: cordoned). Click a cell or search to see a node's pods.</p>
            <div class="heatmap" data-role="heatmap">{fleet.tiles.map((t) => <HeatCell key={t.name} tile={t} pick={setSearch} />)}</div>
          </>
        )}
      <p class="legend muted">Load: the larger of requested and used (where the agent reports it) over allocatable, cpu or memory.
        <span class="swatch level-idle" /> &lt;5% <span class="swatch level-low" /> &lt;50% <span class="swatch level-medium" /> &lt;75% <span class="swatch level-high" /> &lt;90% <span class="swatch level-full" /> ≥90%</p>
    </div>
  );
}
