// Draws the association map from the elements the page carries (#network-elements). Selecting an
// entity follows its "Show its links" link, so expanding works the same with or without script.
(function () {
  var container = document.getElementById("network-map");
  var data = document.getElementById("network-elements");
  if (!container || !data || typeof cytoscape === "undefined") return;
  var colours = { child: "#1d70b8", adult: "#505a5f", person: "#505a5f", address: "#00703c",
    phone: "#912b88", deal_line: "#d4351c", ocg: "#0b0c0c", vehicle: "#f47738", location: "#28a197" };
  var cy = cytoscape({
    container: container,
    elements: JSON.parse(data.textContent),
    layout: { name: "cose", animate: false, randomize: false },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "ellipsis",
        "text-max-width": 90, "background-color": function (n) { return colours[n.data("kind")] || "#505a5f"; } } },
      { selector: "node[flag = 'posing_risk']", style: { shape: "diamond" } },
      { selector: "node[flag = 'vulnerable']", style: { shape: "round-rectangle" } },
      { selector: "node[hops = 0]", style: { "border-width": 4, "border-color": "#ffdd00" } },
      { selector: "edge", style: { width: 1.5, "line-color": "#b1b4b6", "curve-style": "bezier",
        label: "data(type)", "font-size": 8, color: "#505a5f" } },
    ],
  });
  container.setAttribute("data-ready", "true");
  cy.on("tap", "node", function (event) {
    var link = document.querySelector('[data-expand="' + event.target.data("entity") + '"]');
    if (link) window.location.href = link.href;
  });
  cy.on("mouseover", "edge", function (event) {
    var d = event.target.data();
    container.title = d.type + " (" + d.period + "), grading " + d.grading + ", handling " + d.handling +
      ": " + d.source_reference;
  });
})();
