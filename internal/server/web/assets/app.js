// clipvec serve's page: searches the database through the JSON API under
// v1/ and draws each video's matching clips on a timeline. Plain
// JavaScript, no dependencies, nothing loaded from elsewhere.
"use strict";

// K is how many clips a search asks for; the page groups them by video.
const K = 50;
// TOKEN_KEY is where the API token is kept for this tab.
const TOKEN_KEY = "clipvec.token";
// MODALITY_ORDER places a modality's row in a timeline (others follow,
// in alphabetical order).
const MODALITY_ORDER = ["visual", "audio", "transcription", "visual-text"];

const $ = (id) => document.getElementById(id);

// videos maps a video id to what /v1/videos says of it.
const videos = new Map();
// searchSeq numbers searches, so that a slow answer to an older one is
// dropped.
let searchSeq = 0;

// ---- formatting ----

const numberFormat = new Intl.NumberFormat("en-US");

// count words a number of things: count(1284, "segment") is "1,284 segments".
function count(n, noun) {
  return `${numberFormat.format(n)} ${noun}${n === 1 ? "" : "s"}`;
}

// clock formats seconds as m:ss, or h:mm:ss from an hour.
function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds + 1e-6));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// span formats a clip's times: "0:12–0:18".
function span(start, end) {
  return `${clock(start)}–${clock(end)}`;
}

// imageURL returns url if it is one an image may be loaded from (http,
// https, or a data: image), else "": a video's thumbnail URL is imported
// data.
function imageURL(url) {
  if (!url) return "";
  try {
    const u = new URL(url, location.href);
    if (u.protocol === "http:" || u.protocol === "https:") return u.href;
    if (u.protocol === "data:" && /^data:image\//i.test(url)) return url;
  } catch (e) {
    // not a URL
  }
  return "";
}

// videoName is a video's file name, else its id.
function videoName(id) {
  const v = videos.get(id);
  return (v && v.filename) || id;
}

// el makes an element: attrs become its attributes, but those named on*
// (onerror) are event listeners; children are appended, strings as text.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

// ---- the API ----

let tokenRequest = null; // {promise, resolve} while the token form is up

// askToken shows the token form and resolves once a token is given.
// Callers that meet a 401 meanwhile wait for the same token.
function askToken(message) {
  if (!tokenRequest) {
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    tokenRequest = {promise, resolve};
    $("token-message").textContent = message;
    $("token-form").hidden = false;
    $("token").value = "";
    $("token").focus();
  }
  return tokenRequest.promise;
}

// tokenGiven keeps the token typed in the form and lets the waiting
// API calls retry.
function tokenGiven(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token || !tokenRequest) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token-form").hidden = true;
  const {resolve} = tokenRequest;
  tokenRequest = null;
  resolve();
}

// api calls the JSON API: a GET, or a POST of body. It asks for a token
// on a 401 and retries; an error answer throws its message.
async function api(path, body) {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = {Accept: "application/json"};
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = {headers};
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    if (resp.status === 401) {
      if (sessionStorage.getItem(TOKEN_KEY) !== token) continue; // a new token came meanwhile
      await askToken(token ? "The server refused that token. Try another:" : "This server needs an access token.");
      continue;
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      // not JSON: the status says what happened
    }
    if (!resp.ok) {
      const err = data && data.error;
      throw new Error(err && err.message ? err.message : `${path}: ${resp.status} ${resp.statusText}`);
    }
    return data;
  }
}

// ---- queries, the form and the URL ----

// queryFromHash reads the search the URL's hash names: #text=…,
// #like=VIDEO&at=SECONDS[&modality=M] or #video=VIDEO.
function queryFromHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get("text")) return {text: p.get("text")};
  if (p.get("like")) {
    const like = {video_id: p.get("like"), at: Number(p.get("at")) || 0};
    if (p.get("modality")) like.modality = p.get("modality");
    return {like};
  }
  if (p.get("video")) return {like_video: p.get("video")};
  return null;
}

// hashOf is the URL hash that names q (see queryFromHash).
function hashOf(q) {
  const p = new URLSearchParams();
  if (q.text) p.set("text", q.text);
  else if (q.like) {
    p.set("like", q.like.video_id);
    p.set("at", String(q.like.at));
    if (q.like.modality) p.set("modality", q.like.modality);
  } else if (q.like_video) p.set("video", q.like_video);
  return "#" + p.toString();
}

// search puts q in the URL, which runs it (hashchange); the same query
// again runs at once.
function search(q) {
  const h = hashOf(q);
  if (location.hash === h) runSearch(q);
  else location.hash = h;
}

// mode is the kind of search the form is set to: text, clip or video.
function mode() {
  const checked = document.querySelector('input[name="mode"]:checked');
  return checked ? checked.value : "clip";
}

// setMode sets the form to a kind of search (one it offers) and shows
// its fields.
function setMode(m) {
  const radio = document.querySelector(`input[name="mode"][value="${m}"]`);
  if (radio && !radio.closest("label").hidden) radio.checked = true;
  $("text-row").hidden = mode() !== "text";
  $("like-row").hidden = mode() === "text";
  $("at-field").hidden = mode() !== "clip";
}

// queryFromForm returns the search the form describes, or null when it
// is incomplete.
function queryFromForm() {
  switch (mode()) {
    case "text": {
      const text = $("q-text").value.trim();
      return text ? {text} : null;
    }
    case "clip":
      return $("q-video").value ? {like: {video_id: $("q-video").value, at: Number($("q-at").value) || 0}} : null;
    default:
      return $("q-video").value ? {like_video: $("q-video").value} : null;
  }
}

// fillForm shows q in the form, so that a linked search can be edited.
function fillForm(q) {
  if (q.text) {
    setMode("text");
    $("q-text").value = q.text;
  } else if (q.like) {
    setMode("clip");
    $("q-video").value = q.like.video_id;
    $("q-at").value = q.like.at;
  } else if (q.like_video) {
    setMode("video");
    $("q-video").value = q.like_video;
  }
}

// describe words what q asks for, best from the server's resolved query
// (info) once there is one.
function describe(q, info) {
  if (info && info.kind === "clip" && info.clip) {
    const c = info.clip;
    return `Clips like ${span(c.start, c.end)} of ${videoName(c.video_id)}${c.modality ? ` (${c.modality})` : ""}`;
  }
  if (info && info.kind === "video") {
    return `Clips like the whole of ${videoName(info.video_id)}${info.modality ? ` (${info.modality})` : ""}`;
  }
  if (q.text) return `Clips matching “${q.text}”`;
  if (q.like) {
    return `Clips like the one at ${clock(q.like.at)} of ${videoName(q.like.video_id)}${q.like.modality ? ` (${q.like.modality})` : ""}`;
  }
  return `Clips like the whole of ${videoName(q.like_video)}`;
}

// ---- searching and drawing results ----

// showError shows an error's message (the API's own, for its errors).
function showError(err) {
  $("error").textContent = err.message || String(err);
  $("error").hidden = false;
}

// runSearch asks the API for q (null: no search) and draws the answer;
// it says what it searches for while it waits.
async function runSearch(q) {
  const seq = ++searchSeq;
  $("error").hidden = true;
  if (!q) {
    $("query").textContent = "";
    $("status").textContent = "Search by text, or for clips like a clip or a video.";
    $("results").replaceChildren();
    $("legend").replaceChildren();
    return;
  }
  fillForm(q);
  $("query").textContent = describe(q);
  $("status").textContent = "Searching…";
  $("results").setAttribute("aria-busy", "true");
  try {
    const res = await api("v1/search", {...q, k: K, filter: {scopes: ["clip"]}});
    await fetchVideos((res.hits || []).map((h) => h.video_id).concat(res.query && res.query.clip ? [res.query.clip.video_id] : []));
    if (seq !== searchSeq) return;
    render(q, res);
  } catch (err) {
    if (seq !== searchSeq) return;
    $("status").textContent = "";
    showError(err);
  } finally {
    if (seq === searchSeq) $("results").removeAttribute("aria-busy");
  }
}

// fetchVideos looks up the videos of ids that the first page of
// /v1/videos did not hold (a database of more videos than it lists), for
// their names and durations. A video that cannot be read is drawn without.
async function fetchVideos(ids) {
  const missing = [...new Set(ids)].filter((id) => !videos.has(id));
  await Promise.all(missing.map(async (id) => {
    try {
      const v = await api(`v1/videos/${encodeURIComponent(id)}`);
      if (v && v.video_id) videos.set(v.video_id, v);
    } catch (err) {
      // its hits still name it; the timeline spans its clips
    }
  }));
}

// group gathers hits by video, in the order of each video's best hit.
function group(hits) {
  const byVideo = new Map();
  for (const h of hits) {
    let g = byVideo.get(h.video_id);
    if (!g) {
      g = {videoId: h.video_id, filename: h.filename, best: h.score, hits: []};
      byVideo.set(h.video_id, g);
    }
    g.best = Math.max(g.best, h.score);
    g.hits.push(h);
  }
  return [...byVideo.values()].sort((a, b) => b.best - a.best);
}

// modalityRank orders modalities: MODALITY_ORDER first, then the rest.
function modalityRank(m) {
  const i = MODALITY_ORDER.indexOf(m);
  return i < 0 ? MODALITY_ORDER.length : i;
}

// render draws a search's answer: a heading, a count, a legend, and one
// entry per video.
function render(q, res) {
  const hits = res.hits || [];
  const groups = group(hits);
  $("query").textContent = describe(q, res.query);
  if (hits.length === 0) {
    $("status").textContent = "No clips matched.";
    $("results").replaceChildren();
    $("legend").replaceChildren();
    return;
  }
  const how = res.method === "graph" && res.ef ? `graph search (ef ${res.ef})` : `${res.method || ""} search`;
  $("status").textContent = `${count(hits.length, "clip")} in ${count(groups.length, "video")}, best first · ${how}, ${count(res.searched || 0, "segment")} compared of ${(res.space && res.space.segments) || 0}`;

  // Rows of a timeline: one per modality among the hits.
  const modalities = [...new Set(hits.map((h) => h.modality || ""))]
    .sort((a, b) => modalityRank(a) - modalityRank(b) || a.localeCompare(b));
  const scores = hits.map((h) => h.score);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const view = {
    modalities,
    // Darker is closer: the best hit is opaque, the worst faint.
    opacity: (s) => (hi > lo ? 0.35 + 0.65 * ((s - lo) / (hi - lo)) : 1).toFixed(2),
    queryClip: res.query && res.query.kind === "clip" ? res.query.clip : null,
  };
  $("legend").replaceChildren(
    ...modalities.map((m) => el("span", {class: `swatch m-${m || "none"}`}, m || "no modality")),
    el("span", null, "Fainter: a lower score. Click a clip for more like it."));
  $("results").replaceChildren(...groups.map((g) => renderGroup(g, view)));
}

// renderGroup draws one video: its thumbnail, name and best score, a
// timeline of its duration with a marker per clip (a row per modality,
// fainter for lower scores) and the same clips as a list.
function renderGroup(g, view) {
  const v = videos.get(g.videoId) || {};
  const name = v.filename || g.filename || g.videoId;
  let duration = v.duration || 0;
  for (const h of g.hits) duration = Math.max(duration, h.end);
  const qc = view.queryClip && view.queryClip.video_id === g.videoId ? view.queryClip : null;
  if (qc) duration = Math.max(duration, qc.end);
  duration = duration || 1;

  const pct = (t) => `${((100 * t) / duration).toFixed(3)}%`;
  const rows = view.modalities.length;
  const rowOf = (m) => view.modalities.indexOf(m || "");
  // The timeline is for the mouse and the eye; keyboards and screen
  // readers get the same clips as the list below it.
  const timeline = el("div", {class: "timeline", "aria-hidden": "true"});
  if (qc) {
    timeline.append(el("div", {
      class: "query-clip", title: `the query clip: ${span(qc.start, qc.end)}`, "aria-hidden": "true",
      style: `left:${pct(qc.start)};width:${pct(qc.end - qc.start)}`,
    }));
  }
  for (const h of g.hits) {
    const row = rowOf(h.modality);
    const label = `${span(h.start, h.end)} · score ${h.score.toFixed(2)}${h.modality ? ` · ${h.modality}` : ""}`;
    timeline.append(el("button", {
      type: "button", class: `marker m-${h.modality || "none"}`, title: label, tabindex: "-1",
      "data-video-id": h.video_id, "data-start": h.start, "data-end": h.end,
      "data-score": h.score, "data-modality": h.modality || "",
      style: `left:${pct(h.start)};width:${pct(h.end - h.start)};` +
        `top:${((100 * row) / rows).toFixed(3)}%;height:${(100 / rows).toFixed(3)}%;opacity:${view.opacity(h.score)}`,
    }));
  }

  const clips = el("ul", {class: "clips", "aria-label": `Matching clips of ${name}`},
    ...g.hits.map((h) => el("li", null, el("button", {
      type: "button", class: `clip m-${h.modality || "none"}`, title: "Find more like this clip",
      "aria-label": `${span(h.start, h.end)}, score ${h.score.toFixed(2)}${h.modality ? `, ${h.modality}` : ""}: find more like this clip`,
      "data-video-id": h.video_id, "data-start": h.start, "data-end": h.end, "data-modality": h.modality || "",
    }, span(h.start, h.end), " ", el("b", null, h.score.toFixed(2)), h.modality ? ` ${h.modality}` : ""))));

  // A video without a thumbnail, or whose thumbnail does not load
  // (offline, expired), gets a blank tile: the timelines stay aligned.
  const blank = () => el("div", {class: "thumb blank", "aria-hidden": "true"});
  const src = imageURL(v.thumbnail_url);
  const thumb = src ? el("img", {class: "thumb", src, alt: "", onerror: (e) => e.target.replaceWith(blank())}) : blank();

  return el("li", {class: "video", "data-video-id": g.videoId},
    thumb,
    el("div", {class: "video-body"},
      el("div", {class: "video-head"},
        el("h3", {class: "video-name", title: g.videoId}, name),
        el("span", {class: "best"}, "best ", el("b", null, g.best.toFixed(2))),
        el("span", {class: "count"}, `${count(g.hits.length, "clip")} · ${clock(duration)}`),
        el("button", {type: "button", class: "more-video", "data-like-video": g.videoId}, "More like this video")),
      timeline,
      el("div", {class: "axis", "aria-hidden": "true"}, el("span", null, "0:00"), el("span", null, clock(duration))),
      clips));
}

// resultClicked runs "more like this" for a clip marker or a clip of a
// list (the clip's midpoint, its modality), or for a video.
function resultClicked(event) {
  const b = event.target.closest("button");
  if (!b) return;
  if (b.dataset.likeVideo) {
    search({like_video: b.dataset.likeVideo});
  } else if (b.dataset.videoId) {
    const start = Number(b.dataset.start);
    const end = Number(b.dataset.end);
    const like = {video_id: b.dataset.videoId, at: Math.round(((start + end) / 2) * 1000) / 1000};
    if (b.dataset.modality) like.modality = b.dataset.modality;
    search({like});
  } else {
    return;
  }
  $("query").focus({preventScroll: true});
  $("query").scrollIntoView({block: "nearest"});
}

// ---- start-up ----

// showSummary writes the header from GET /v1/stats.
function showSummary(body) {
  const st = body.stats || body;
  const spaces = (st.spaces || []).map((s) => `${s.model}/${s.dim}`);
  $("summary").textContent = `${count(st.videos || 0, "video")} · ${count(st.segments || 0, "segment")} · ` +
    `${spaces.length === 1 ? "space" : "spaces"} ${spaces.join(", ") || "none"}`;
}

// showVideos keeps GET /v1/videos's list (an object with videos, or a
// bare array) and fills the video picker with it.
function showVideos(body) {
  const list = Array.isArray(body) ? body : (body && body.videos) || [];
  videos.clear();
  for (const v of list) videos.set(v.video_id, v);
  const options = [...videos.values()]
    .sort((a, b) => (a.filename || a.video_id).localeCompare(b.filename || b.video_id))
    .map((v) => el("option", {value: v.video_id},
      `${v.filename || v.video_id}${v.duration ? ` (${clock(v.duration)})` : ""}`));
  $("q-video").replaceChildren(...options);
}

// start wires the page up, reads the database's summary and videos, and
// runs the search the URL names.
async function start() {
  $("token-form").addEventListener("submit", tokenGiven);
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = queryFromForm();
    if (q) search(q);
  });
  for (const r of document.querySelectorAll('input[name="mode"]')) {
    r.addEventListener("change", () => setMode(r.value));
  }
  $("results").addEventListener("click", resultClicked);
  window.addEventListener("hashchange", () => runSearch(queryFromHash()));

  let stats;
  try {
    const [s, v] = await Promise.all([api("v1/stats"), api("v1/videos?limit=1000")]);
    stats = s;
    showSummary(s);
    showVideos(v);
  } catch (err) {
    $("summary").textContent = "The database could not be read.";
    showError(err);
    return;
  }
  const textSearch = Boolean(stats.text_search);
  $("mode-text-label").hidden = !textSearch;
  setMode(textSearch ? "text" : "clip");
  document.body.dataset.ready = "true";
  runSearch(queryFromHash());
}

// app.js is loaded with defer: the document is parsed.
start();
