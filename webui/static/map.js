/* The map of /map (places, events, offers), drawn with Leaflet from the page's JSON; without
   it the lists remain. */
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var source = document.getElementById("map-data");
  if (!holder || !source || typeof window.L === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (error) { return; }
  var points = (data.places || []).concat(data.events || [], data.offers || []);
  if (!points.length) { return; }

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    var title = document.createElement("strong");
    title.appendChild(link);
    box.appendChild(title);
    [point.when, point.address, point.hours, point.organiser].forEach(function (text) {
      if (text) {
        var line = document.createElement("p");
        line.textContent = text;
        box.appendChild(line);
      }
    });
    return box;
  }

  holder.hidden = false;
  var map = window.L.map(holder, { scrollWheelZoom: false, zoomControl: false });
  window.L.control.zoom({ zoomInTitle: data.zoom_in, zoomOutTitle: data.zoom_out }).addTo(map);
  window.L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  // Places and events at one spot share one marker whose popup lists them all: markers drawn
  // on top of each other would leave all but the last one out of reach.
  var spots = [];
  var byKey = {};
  points.forEach(function (point) {
    var key = point.lat.toFixed(5) + "," + point.lon.toFixed(5);
    if (!byKey[key]) {
      byKey[key] = [];
      spots.push(byKey[key]);
    }
    byKey[key].push(point);
  });
  var bounds = [];
  spots.forEach(function (here) {
    var first = here[0];
    var name = here.map(function (point) { return point.name; }).join(" · ");
    var marker = here.length === 1 && first.kind === "space"
      ? window.L.circleMarker([first.lat, first.lon], { radius: 9, color: "#1f6f5c", weight: 3 })
      : window.L.marker([first.lat, first.lon], { title: name, alt: name });
    var box = document.createElement("div");
    here.forEach(function (point) { box.appendChild(popup(point)); });
    marker.bindPopup(box).addTo(map);
    bounds.push([first.lat, first.lon]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
}());
