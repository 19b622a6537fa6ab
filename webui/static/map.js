/* The map of /map, drawn with Leaflet from the page's JSON; without it the lists remain. */
(function () {
  "use strict";
  var holder = document.getElementById("map");
  var source = document.getElementById("map-data");
  if (!holder || !source || typeof window.L === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (error) { return; }
  var points = (data.places || []).concat(data.events || []);
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
  var bounds = [];
  points.forEach(function (point) {
    var marker = point.kind === "space"
      ? window.L.circleMarker([point.lat, point.lon], { radius: 9, color: "#1f6f5c", weight: 3 })
      : window.L.marker([point.lat, point.lon], { title: point.name, alt: point.name });
    marker.bindPopup(popup(point)).addTo(map);
    bounds.push([point.lat, point.lon]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
}());
