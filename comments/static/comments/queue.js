/* The comments queue's keyboard shortcuts, WordPress's letters (CommentAdmin.SHORTCUT_KEYS): j and k move between
   comments, a letter presses the current comment's button or link that carries it in data-key, so the server does
   the work as for a click. Everything works without this file; it only adds keys, the outline on the current row,
   and what is said in the live region (role=status). Keys never fire while typing in a field, with Ctrl, Alt or
   Meta held, or once turned off (the box in "Keyboard shortcuts", remembered in this browser). */
(function () {
    "use strict";

    var OFF = "comments.queue.shortcuts-off";
    var POSITION = "comments.queue.position";

    function stored(storage, key) {
        try {
            return storage.getItem(key);
        } catch (error) {
            return null; // storage refused (a private window): the keys work, nothing is remembered
        }
    }

    function store(storage, key, value) {
        try {
            if (value === null) storage.removeItem(key);
            else storage.setItem(key, value);
        } catch (error) {
            /* not remembered */
        }
    }

    var table = document.getElementById("result_list");
    var help = document.querySelector(".queue-shortcuts");
    var live = document.querySelector(".queue-live");
    var remembered = stored(sessionStorage, POSITION);
    store(sessionStorage, POSITION, null);
    if (!table || !help || !live) return;

    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var current = -1;
    var offBox = help.querySelector(".queue-shortcuts-off");
    help.hidden = false;
    offBox.checked = stored(localStorage, OFF) === "1";
    offBox.addEventListener("change", function () {
        store(localStorage, OFF, offBox.checked ? "1" : null);
        say(offBox.checked ? "Keyboard shortcuts off." : "Keyboard shortcuts on.");
    });
    rows.forEach(function (row) {
        row.tabIndex = -1;
    });

    function say(text) {
        live.textContent = text;
    }

    function idOf(row) {
        var box = row.querySelector("input.action-select");
        return box ? box.value : "";
    }

    function describe(row, index) {
        var name = row.querySelector(".comment-author strong");
        var status = row.querySelector(".comment-status");
        return "Comment " + (index + 1) + " of " + rows.length + ": by " +
            (name ? name.textContent.trim() : "unknown") + ", " + (status ? status.textContent.trim() : "") + ".";
    }

    function choose(index, focus) {
        if (current >= 0 && rows[current]) rows[current].removeAttribute("aria-current");
        current = index;
        rows[index].setAttribute("aria-current", "true");
        if (focus) {
            rows[index].focus();
            say(describe(rows[index], index));
        }
    }

    function lowerFirst(text) {
        return text.charAt(0).toLowerCase() + text.slice(1);
    }

    function typing(target) {
        return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    }

    table.addEventListener("focusin", function (event) {
        var row = event.target.closest("tbody tr");
        if (row && rows.indexOf(row) !== current) choose(rows.indexOf(row), false);
    });

    document.addEventListener("keydown", function (event) {
        if (offBox.checked || event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
        if (typing(event.target) || event.key.length !== 1 || !rows.length) return;
        var key = event.key.toLowerCase();
        if (key === "j" || key === "k") {
            event.preventDefault();
            var step = key === "j" ? 1 : -1;
            choose(current < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, current + step)), true);
            return;
        }
        if (!/^[a-z]$/.test(key) || event.shiftKey) return;
        if (current < 0) {
            if (/[auszdrexv]/.test(key)) say("Press j to choose a comment first.");
            return;
        }
        var row = rows[current];
        if (key === "x") {
            var box = row.querySelector("input.action-select");
            if (!box) return;
            event.preventDefault();
            box.click();
            say((box.checked ? "Selected " : "Unselected ") + lowerFirst(describe(row, current)));
            return;
        }
        var target = row.querySelector('[data-key="' + key + '"]');
        if (!target) {
            if (/[auszdrev]/.test(key)) say("Nothing for " + key + " on this comment.");
            return;
        }
        event.preventDefault();
        say(target.textContent.trim() + "…");
        if (target.tagName === "BUTTON") {
            store(sessionStorage, POSITION, JSON.stringify({
                page: location.pathname + location.search, id: idOf(row), index: current
            }));
        }
        target.click();
    });

    /* Back from a button's action (the server redirects to this same list): the same comment if it is still
       listed, else the one now in its place, announced after what the server said it did. */
    var position = null;
    try {
        position = JSON.parse(remembered || "null");
    } catch (error) {
        position = null;
    }
    if (position && position.page === location.pathname + location.search && rows.length) {
        var index = rows.map(idOf).indexOf(position.id);
        if (index < 0) index = Math.min(position.index, rows.length - 1);
        var done = document.querySelector(".messagelist:not(.comment-queue-notes) li");
        choose(index, true);
        var now = describe(rows[index], index);
        live.textContent = "";
        setTimeout(function () {
            say((done ? done.textContent.trim() + " " : "") + "Now " + lowerFirst(now));
        }, 100);
    }
})();
