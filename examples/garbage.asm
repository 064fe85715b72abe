; garbage.asm — "Always initialize memory before use."
;
; The post: "Garbage values (leftover junk in memory causing weird bugs)".
; The bug: the program allocates 64 bytes meant to hold a pointer, never stores one, then
; loads the pointer-sized value at the start of the block and follows it. Without memboss
; the junk is whatever the allocator left there (often 0, sometimes an old pointer).
; What memboss reports: in check mode every fresh block is filled with 0xbe bytes, so the
; "pointer" is 0xbebebebebebebebe, an address no program can have (non-canonical): the load
; through it faults at once. memboss reports a segv (a general-protection fault, for which the
; CPU names no address), points at the register holding 0xbebebebebebebebe as its fill of
; never-written heap memory, and the process dies of SIGSEGV (exit status 139).

        default rel
        extern  malloc, free, printf
        global  main

        section .rodata
fmt:    db      "the first byte behind the pointer is %d", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 64
        call    malloc
        test    rax, rax
        jz      .done
        mov     rbx, rax

        mov     rcx, [rbx]              ; BUG: a pointer nobody ever stored (garbage)
        movzx   esi, byte [rcx]         ; ... followed as if it were valid
        lea     rdi, [fmt]
        xor     eax, eax
        call    printf

        mov     rdi, rbx
        call    free
.done:
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
