// NRM: small progressive enhancements; every page works without them.
// Loaded with `defer` from 'self' only (the CSP forbids inline scripts, styles and handlers).
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A form the user has typed into is "dirty": switching language would reload the page and lose it.
  var dirty = false;
  document.querySelectorAll("main form").forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
  });

  // Selects marked data-autosubmit submit their form on change (language switch); with a half-filled
  // form on the page, ask first, and keep the language if the user says no.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var was = select.value;
    select.addEventListener("change", function () {
      var warning = select.getAttribute("data-dirty-warning");
      if (dirty && warning && !window.confirm(warning)) {
        select.value = was;
        return;
      }
      select.form.submit();
    });
  });

  // On a phone the menu folds behind a button, so the page starts at its content.
  var nav = document.querySelector(".main-nav");
  if (nav && nav.querySelector("ul")) {
    var list = nav.querySelector("ul");
    list.id = list.id || "main-menu";
    var toggle = el("button", "menu-toggle", nav.getAttribute("data-menu-label") || "Menu");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", list.id);
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    nav.insertBefore(toggle, list);
    nav.classList.add("collapsible");
  }

  // Forms marked data-confirm ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Long lists (countries) get a filter box: typing part of a name narrows the options.
  var fold = function (text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  };
  document.querySelectorAll("select[data-search]").forEach(function (select) {
    var box = el("input", "select-search");
    box.type = "search";
    box.setAttribute("aria-label", (select.labels && select.labels[0] ? select.labels[0].textContent : "") + " …");
    box.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var shown = !wanted || !option.value || fold(option.text).indexOf(wanted) !== -1;
        option.hidden = !shown;
        if (shown && option.value && first === null) first = option;
      });
      if (wanted && first) select.value = first.value;
    });
  });

  // An error summary takes the focus, so screen readers and keyboards start there.
  var summary = document.querySelector(".error-summary[data-focus]");
  if (summary) summary.focus();

  // Screening: show only the indicators for an adult or a child, and the live result.
  var screening = document.querySelector("form[data-screening]");
  if (screening) {
    var child = screening.querySelector("input[name=is_child]");
    var panel = document.getElementById("live-result");
    var body = panel.querySelector("[data-result-body]");
    var url = screening.getAttribute("data-evaluate-url");
    var timer = null;
    var seq = 0;

    var applyAudience = function () {
      var audience = child && child.checked ? "child" : "adult";
      // The lists of the forms suspected (none ticked: every list).
      var suspected = [];
      screening.querySelectorAll("input[name=suspected_forms]:checked").forEach(function (box) {
        suspected.push(box.value);
      });
      screening.querySelectorAll("li[data-applies]").forEach(function (li) {
        var forms = (li.getAttribute("data-forms") || "").split(" ");
        var inList = !suspected.length || !forms[0] || forms.some(function (f) { return suspected.indexOf(f) !== -1; });
        var applies = inList && li.getAttribute("data-applies").split(" ").indexOf(audience) !== -1;
        li.hidden = !applies;
        if (!applies) {
          var box = li.querySelector("input[type=checkbox]");
          if (box) box.checked = false;
        }
      });
    };

    var bar = screening.querySelector("[data-result-bar]");
    var summaryLink = bar && bar.querySelector("[data-result-summary]");
    var summaryPrefix = summaryLink ? summaryLink.textContent + ": " : "";

    var render = function (data) {
      body.textContent = "";
      if (summaryLink) {
        summaryLink.textContent = summaryPrefix + (data.label || "…");
        bar.className = "result-bar " + (data.result || "");
      }
      if (data.errors) {
        Object.keys(data.errors).forEach(function (key) {
          body.appendChild(el("p", "field-error", data.errors[key].join(" ")));
        });
        return;
      }
      var box = el("div", "result result-" + data.result);
      var label = el("p", "result-label");
      label.appendChild(el("strong", "", data.label));
      box.appendChild(label);
      var why = el("ul", "explanation");
      data.explanation.forEach(function (line) { why.appendChild(el("li", "", line)); });
      box.appendChild(why);
      body.appendChild(box);
      var dims = el("ul", "plain");
      data.dimensions.forEach(function (d) {
        var li = el("li", d.positive ? "pos" : "neg");
        li.appendChild(el("strong", "", d.title + ": " + d.status));
        li.appendChild(document.createTextNode(" (" + d.counts + ")"));
        dims.appendChild(li);
        // Each dimension also says, beside its own indicators, whether it is positive and why.
        var own = screening.querySelector('[data-dimension-status="' + d.code + '"]');
        if (own) {
          own.textContent = d.status;
          own.className = "dimension-status " + (d.positive ? "pos" : "neg");
        }
      });
      body.appendChild(dims);
    };

    var update = function () {
      var mine = ++seq;
      fetch(url, {
        method: "POST",
        body: new FormData(screening),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (mine === seq) render(data); })
        .catch(function () { /* the result is still computed on save */ });
    };

    var schedule = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 150);
    };

    if (child) child.addEventListener("change", applyAudience);
    screening.querySelectorAll("input[name=suspected_forms]").forEach(function (box) {
      box.addEventListener("change", applyAudience);
    });
    screening.addEventListener("change", schedule);
    panel.hidden = false;
    if (bar) bar.hidden = false;
    applyAudience();
    update();
  }

  // Referral: say whether the chosen organisation has the person's consent.
  var refer = document.querySelector("form[data-refer]");
  if (refer) {
    var to = refer.querySelector("select[name=to_org]");
    var status = refer.querySelector("[data-consent-status]");
    var showConsent = function () {
      var option = to.options[to.selectedIndex];
      if (!option || !option.value) { status.hidden = true; return; }
      var yes = option.getAttribute("data-consent") === "1";
      status.textContent = status.getAttribute(yes ? "data-yes" : "data-no");
      status.className = "consent-status " + (yes ? "yes" : "no");
      status.hidden = false;
    };
    if (to && status) {
      to.addEventListener("change", showConsent);
      showConsent();
    }
    // The kind follows the receiver (identification for the Centre); the worker may change it.
    var kind = refer.querySelector("select[name=kind]");
    if (to && kind) {
      to.addEventListener("change", function () {
        var option = to.options[to.selectedIndex];
        var usual = option && option.getAttribute("data-kind");
        if (usual) kind.value = usual;
      });
    }
  }
})();
