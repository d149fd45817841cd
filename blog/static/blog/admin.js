/* The post's admin page: Django's filter_horizontal (SelectFilter2.js, at the window's load) names each filter box
   by an aria-label on a bare <span> inside the box's <label>, which ARIA does not allow (axe: aria-prohibited-attr);
   as role="img" the span may carry it, and the label reads it out as the box's name. Loaded deferred, so this runs
   after SelectFilter2's own load handler. */
(function () {
    "use strict";

    window.addEventListener("load", function () {
        document.querySelectorAll(".selector .help-tooltip[aria-label]:not([role])").forEach(function (icon) {
            icon.setAttribute("role", "img");
        });
    });
})();
