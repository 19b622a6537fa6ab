/* The place picker of the event and collective forms: a click on the map fills in the latitude
   and longitude; with an address search configured, found places can be chosen. Without it (no
   JavaScript, no Leaflet), the coordinates are typed in as before. */
(function () {
  "use strict";
  var box = document.querySelector("[data-place-picker]");
  if (!box || typeof window.L === "undefined") { return; }
  var settings;
  try {
    settings = JSON.parse(box.querySelector("[data-place-picker-settings]").textContent);
  } catch (error) { return; }
  var form = box.closest("form");
  var latitude = document.getElementById("field-latitude");
  var longitude = document.getElementById("field-longitude");
  if (!form || !latitude || !longitude) { return; }

  function number(input) {
    var value = parseFloat((input.value || "").replace(",", "."));
    return isFinite(value) ? value : null;
  }

  box.hidden = false;
  var holder = box.querySelector("[data-place-map]");
  var map = window.L.map(holder, { scrollWheelZoom: false, zoomControl: false });
  window.L.control.zoom({ zoomInTitle: settings.zoom_in, zoomOutTitle: settings.zoom_out }).addTo(map);
  window.L.tileLayer(settings.tiles, { maxZoom: 19, attribution: settings.attribution }).addTo(map);
  var marker = null;
  var results = box.querySelector("[data-place-results]");

  function place(lat, lon, zoom) {
    latitude.value = lat.toFixed(6);
    longitude.value = lon.toFixed(6);
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = window.L.marker([lat, lon]).addTo(map); }
    map.setView([lat, lon], zoom || Math.max(map.getZoom(), 16));
  }

  var startLat = number(latitude), startLon = number(longitude);
  if (startLat !== null && startLon !== null) {
    marker = window.L.marker([startLat, startLon]).addTo(map);
    map.setView([startLat, startLon], 16);
  } else {
    map.setView(settings.center, 13);
  }
  // Inside a closed <details> the map has no size yet: measure it again when it opens.
  var disclosure = box.closest("details");
  if (disclosure) {
    disclosure.addEventListener("toggle", function () {
      if (disclosure.open) { map.invalidateSize(); }
    });
  }
  map.on("click", function (event) {
    place(event.latlng.lat, event.latlng.lng);
    if (results) { results.textContent = settings.messages.placed; }
  });
  [latitude, longitude].forEach(function (input) {
    input.addEventListener("change", function () {
      var lat = number(latitude), lon = number(longitude);
      if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        place(lat, lon);
      }
    });
  });

  if (!settings.search) { return; }
  var search = box.querySelector("[data-place-search]");
  search.hidden = false;

  function fieldValue(name) {
    var input = form.querySelector("[name='" + name + "']");
    return input ? input.value.trim() : "";
  }

  function fill(name, value) {
    var input = form.querySelector("[name='" + name + "']");
    if (input && value && !input.value.trim()) { input.value = value; }
  }

  function choose(found) {
    place(found.latitude, found.longitude, 17);
    fill("street_address", found.street);
    fill("postal_code", found.postal_code);
    fill("locality", found.locality);
    results.textContent = settings.messages.placed;
  }

  function show(places) {
    results.textContent = "";
    var title = document.createElement("p");
    title.textContent = settings.messages.choose;
    var list = document.createElement("ul");
    list.className = "place-choices";
    places.forEach(function (found) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.textContent = found.label;
      button.addEventListener("click", function () { choose(found); });
      item.appendChild(button);
      list.appendChild(item);
    });
    results.appendChild(title);
    results.appendChild(list);
    var first = list.querySelector("button");
    if (first) { first.focus(); }
  }

  box.querySelector("[data-place-find]").addEventListener("click", function () {
    var query = ["place_name", "street_address", "postal_code", "locality"]
      .map(fieldValue).filter(Boolean).join(", ");
    if (query.length < 3) { results.textContent = settings.messages.type_first; return; }
    results.textContent = settings.messages.searching;
    fetch(settings.search + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (answer.places && answer.places.length) { show(answer.places); }
      else { results.textContent = answer.error || settings.messages.failed; }
    }).catch(function () {
      results.textContent = settings.messages.failed;
    });
  });
}());
