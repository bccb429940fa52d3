/*
 * iap-registry's map layers for Leaflet (loaded by the base map from the app's static folder).
 *
 * Python passes data only (JSON); everything drawn is built here. Two rules hold everywhere:
 *
 * 1. Layers sit in panes with fixed z-indexes, so the order on screen never depends on which
 *    layer arrived first (the outlines are fetched asynchronously and used to be painted over
 *    the entries on every fresh load):
 *    land < outlines < place names < productivity < region borders < shapes < entries <
 *    selection. With `preferCanvas` each pane gets a canvas of its own.
 * 2. Text from the registry or the user is never parsed as HTML: tooltips and labels are DOM
 *    nodes filled with `textContent`.
 */
(function () {
  'use strict';

  var PANES = {
    land: 210,
    outlines: 220,
    labels: 240,
    productivity: 300,
    borders: 350,
    shapes: 440,
    entries: 450,
    selection: 500
  };
  var INTERACTIVE = {productivity: true, shapes: true, entries: true};

  function pane(name) {
    return 'iap-' + name;
  }

  /** Create the panes on `map` (once). */
  function panes(map) {
    Object.keys(PANES).forEach(function (name) {
      if (map.getPane(pane(name))) return;
      var p = map.createPane(pane(name));
      p.style.zIndex = String(PANES[name]);
      if (!INTERACTIVE[name]) p.style.pointerEvents = 'none';
    });
  }

  function tip(title, text) {
    var box = document.createElement('div');
    box.className = 'iap-tip';
    var name = document.createElement('b');
    name.textContent = title;
    var detail = document.createElement('span');
    detail.textContent = text;
    box.appendChild(name);
    box.appendChild(detail);
    return box;
  }

  // -- loading order: what lies under the entries first, the rest once that is drawn --
  var first = [];  // the fetches of the first layers (promises)
  var later = [];  // the deferred fetches, not yet started (functions)
  var pending = {first: 0, later: 0};

  var parsed = {};  // url -> promise of its JSON: a file drawn twice is fetched and parsed once

  function load(layer, url, queue) {
    pending[queue]++;
    if (!parsed[url]) {
      parsed[url] = fetch(url).then(function (r) { return r.json(); });
    }
    return parsed[url]
      .then(function (data) { layer.addData(data); layer.fire('iap:loaded'); })
      .finally(function () { pending[queue]--; });
  }

  /** Start the deferred fetches once the first layers are in and a frame has been drawn. */
  function startLater() {
    var settled = first.splice(0).map(function (p) { return p.catch(function () {}); });
    Promise.all(settled).then(function () {
      requestAnimationFrame(function () {
        setTimeout(function () { later.splice(0).forEach(function (go) { go(); }); }, 0);
      });
    });
  }

  /**
   * Fetch GeoJSON from `url` into `layer`. With `deferred`, the fetch starts only after the
   * layers fetched at once (the land) are drawn, so that lines not yet visible (comunas below
   * their zoom) and the other countries never delay the land under the entries.
   */
  function fetchInto(layer, url, deferred) {
    if (!deferred) {
      first.push(load(layer, url, 'first'));
      return layer;
    }
    pending.later++;  // counted as pending from now, so no one mistakes it for loaded
    later.push(function () { pending.later--; load(layer, url, 'later'); });
    if (later.length === 1) setTimeout(startLater, 0);  // after this script (the entries)
    return layer;
  }

  /** Outline fetches not yet drawn: {first: n, later: n} (both 0 once the base is whole). */
  function loading() {
    return {first: pending.first, later: pending.later};
  }

  /**
   * Outlines fetched from `url`, drawn with `style` in pane `where` (land, outlines, borders),
   * shown from zoom `minZoom` on if given (below it the lines stay on the map, transparent:
   * hundreds of comuna lines would grey a national view); fetched after the land if
   * `deferred` (see `fetchInto`).
   */
  function outline(url, style, where, minZoom, deferred) {
    var layer = L.geoJSON(null, {
      style: style, interactive: false, smoothFactor: 0.5, pane: pane(where)
    });
    if (minZoom) {
      var shown = null;
      var update = function () {
        var map = layer._map;
        if (!map) return;
        var on = map.getZoom() >= minZoom;
        if (on === shown) return;
        shown = on;
        layer.setStyle(L.extend({opacity: 1}, style, on ? {} : {opacity: 0}));
      };
      layer.on('add', function () { layer._map.on('zoomend', update); shown = null; update(); });
      layer.on('remove', function (e) { e.target._map && e.target._map.off('zoomend', update); });
      layer.on('iap:loaded', function () { shown = null; update(); });
    }
    return fetchInto(layer, url, deferred);
  }

  /**
   * Place names as text the browser renders: `places` is [[name, lng, lat, minZoom], ...];
   * a name shows from its zoom on. Only the names in view are in the DOM.
   */
  function labels(places) {
    var group = L.layerGroup();
    var shown = {};
    var map = null;
    var markers = [];
    function label(p) {
      var text = document.createElement('span');
      text.textContent = p[0];
      var icon = L.divIcon({className: 'iap-label', html: text, iconSize: null});
      return L.marker([p[2], p[1]], {
        icon: icon, interactive: false, keyboard: false, pane: pane('labels')
      });
    }
    group.setPlaces = function (rows) {
      group.clearLayers();
      shown = {};
      places = rows;
      markers = rows.map(label);
      update();
    };
    function update() {
      if (!map) return;
      var zoom = map.getZoom();
      var bounds = map.getBounds().pad(0.2);
      places.forEach(function (p, i) {
        var want = zoom >= p[3] && bounds.contains([p[2], p[1]]);
        if (want && !shown[i]) { group.addLayer(markers[i]); shown[i] = true; }
        if (!want && shown[i]) { group.removeLayer(markers[i]); shown[i] = false; }
      });
    }
    group.on('add', function (e) {
      map = e.target._map;
      map.on('zoomend moveend', update);
      update();
    });
    group.on('remove', function () {
      if (map) map.off('zoomend moveend', update);
      map = null;
    });
    group.setPlaces(places);
    return group;
  }

  /** `labels` with the rows fetched from `url`. */
  function labelsFrom(url) {
    var group = labels([]);
    fetch(url)
      .then(function (r) { return r.json(); })
      .then(function (rows) { group.setPlaces(rows); });
    return group;
  }

  function bindTip(approx) {
    return function (f, l) {
      var p = f.properties;
      l.bindTooltip(function () {
        return tip(p.n, p.k + (p.a ? ' · ' + approx : ''));
      }, {sticky: true});
    };
  }

  /**
   * Entries: `points` as columns (id, n name, x, y, ki index into the kind labels k, ci
   * index into the colours c, a 1 if approximate; see mapview.entries_payload) and `shapes`
   * a GeoJSON FeatureCollection whose properties are id, n, k, c, a. Each point becomes a
   * canvas circle marker carrying `feature` as if read from GeoJSON. Points are clustered
   * at low zoom when `cluster` is true.
   */
  function entries(points, shapes, approx, cluster) {
    var onEach = bindTip(approx);
    var markers = [];
    for (var i = 0; i < points.id.length; i++) {
      var a = points.a[i] === 1;
      var props = {id: points.id[i], n: points.n[i], k: points.k[points.ki[i]],
                   c: points.c[points.ci[i]], a: a};
      var marker = L.circleMarker([points.y[i], points.x[i]], {
        pane: pane('entries'), radius: a ? 7 : 5, color: a ? '#555' : '#222', weight: 1,
        dashArray: a ? '3 2' : null, fillColor: props.c, fillOpacity: a ? 0.45 : 0.9
      });
      marker.feature = {type: 'Feature', properties: props,
                        geometry: {type: 'Point', coordinates: [points.x[i], points.y[i]]}};
      onEach(marker.feature, marker);
      markers.push(marker);
    }
    var shapeLayer = L.geoJSON(shapes, {
      pane: pane('shapes'),
      style: function (f) {
        return {color: f.properties.c, weight: 4, opacity: 0.9, fillOpacity: 0.35};
      },
      onEachFeature: onEach
    });
    var group = L.featureGroup([shapeLayer]);
    if (cluster) {
      var clusters = L.markerClusterGroup({
        chunkedLoading: true, disableClusteringAtZoom: 11,
        showCoverageOnHover: false, maxClusterRadius: 45
      });
      // added once the group is on the map: before that, markercluster checks each new
      // marker against every one already waiting (quadratic in the number of entries)
      clusters.once('add', function () { clusters.addLayers(markers); });
      group.addLayer(clusters);
    } else {
      group.addLayer(L.featureGroup(markers));
    }
    return group;
  }

  /** One circle per place: `groups` is [{k, n, s, x, y, r, c}, ...] (see mapview._groups). */
  function groups(list) {
    var group = L.featureGroup();
    list.forEach(function (g) {
      var circle = L.circleMarker([g.y, g.x], {
        pane: pane('entries'), radius: g.r, color: '#333', weight: 1,
        fillColor: g.c, fillOpacity: 0.75
      });
      circle.bindTooltip(function () { return tip(g.n, g.s); }, {sticky: true});
      circle.iapGroup = g.k;
      group.addLayer(circle);
    });
    return group;
  }

  /** Regions fetched from `url`, filled from `byCode` ({code: {n, v, c}}). */
  function choropleth(url, byCode) {
    var layer = L.geoJSON(null, {
      pane: pane('productivity'),
      filter: function (f) { return byCode[f.properties.region_code] !== undefined; },
      style: function (f) {
        return {fillColor: byCode[f.properties.region_code].c, fillOpacity: 0.75,
                color: '#555', weight: 0.8};
      },
      onEachFeature: function (f, l) {
        var p = byCode[f.properties.region_code];
        l.bindTooltip(function () { return tip(p.n, p.v); }, {sticky: true});
      }
    });
    return fetchInto(layer, url);
  }

  /** A ring around each selected entry: `points` is [[lng, lat], ...]. */
  function selection(points) {
    return L.featureGroup(points.map(function (p) {
      return L.circleMarker([p[1], p[0]], {
        pane: pane('selection'), radius: 11, color: '#d7191c', weight: 3, fill: false,
        interactive: false
      });
    }));
  }

  // -- the view in the page's URL (z, lat, lng): kept on every move, used on a fresh load --
  function parentWindow() {
    try { return window.parent && window.parent.location.href ? window.parent : null; }
    catch (e) { return null; }  // not the same origin: the view stays out of the URL
  }

  function urlView() {
    var w = parentWindow();
    if (!w) return null;
    var q = new URLSearchParams(w.location.search);
    var z = parseFloat(q.get('z')), lat = parseFloat(q.get('lat')), lng = parseFloat(q.get('lng'));
    if (!isFinite(z) || !isFinite(lat) || !isFinite(lng)) return null;
    if (z < 2 || z > 18 || Math.abs(lat) > 85 || Math.abs(lng) > 180) return null;
    return {z: z, lat: lat, lng: lng};
  }

  function keepView(map) {
    if (map.__iapKeepsView) return;
    map.__iapKeepsView = true;
    map.on('moveend', function () {
      var w = parentWindow();
      if (!w) return;
      var c = map.getCenter();
      var url = new URL(w.location.href);
      url.searchParams.set('z', String(map.getZoom()));
      url.searchParams.set('lat', c.lat.toFixed(4));
      url.searchParams.set('lng', c.lng.toFixed(4));
      if (url.href !== w.location.href) w.history.replaceState(w.history.state, '', url.href);
    });
  }

  /**
   * An empty layer that, once added, sets the view for the view named `key` (the filters):
   * the first time on this page, the view in the URL if there is one; later, when the key
   * changes (a new filter), the bounds `bounds` ([[south, west], [north, east]]) of what is
   * shown. The same key again (a click, a new colour) leaves the user's view alone.
   */
  function fit(key, bounds) {
    var layer = L.layerGroup();
    layer.on('add', function (e) {
      var map = e.target._map;
      keepView(map);
      if (map.__iapFitKey === key) return;
      var first = map.__iapFitKey === undefined;
      map.__iapFitKey = key;
      var view = first ? urlView() : null;
      if (view) {
        map.setView([view.lat, view.lng], view.z, {animate: false});
      } else if (bounds) {
        map.fitBounds(bounds, {padding: [24, 24], maxZoom: 13, animate: false});
      }
    });
    return layer;
  }

  /**
   * An empty layer that centres the map on `point` ([lat, lng]) once per `key`, at `zoom`
   * (default: at least 12).
   */
  function focus(key, point, zoom) {
    var layer = L.layerGroup();
    layer.on('add', function (e) {
      var map = e.target._map;
      if (map.__iapFocusKey === key) return;
      map.__iapFocusKey = key;
      map.setView(point, zoom || Math.max(map.getZoom(), 12), {animate: false});
    });
    return layer;
  }

  window.IAP = {
    fit: fit,
    focus: focus,
    PANES: PANES,
    panes: panes,
    outline: outline,
    loading: loading,
    labels: labels,
    labelsFrom: labelsFrom,
    entries: entries,
    groups: groups,
    choropleth: choropleth,
    selection: selection
  };
})();
