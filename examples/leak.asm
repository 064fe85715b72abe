; leak.asm — "If you forget to free, the memory will sit there forever."
;
; The post: "Memory leaks (your program slowly eats RAM)".
; The bug: the program allocates 64 bytes, uses them and returns from main without calling
; free. Nothing crashes; the block is simply never given back.
; What memboss reports: a leak finding needs the leak check (a scan for blocks that nothing
; points to any more), which comes in a later version; this one may print nothing for it.

        default rel
        extern  malloc, printf
        global  main

        section .rodata
fmt:    db      "stored 0x%lx, and never freed the block", 10, 0

        section .text
main:
        push    rbx
        mov     rdi, 64
        call    malloc
        test    rax, rax
        jz      .done
        mov     rbx, rax

        mov     rcx, 0xDEADBEEF
        mov     [rbx], rcx
        mov     rsi, [rbx]
        lea     rdi, [fmt]
        xor     eax, eax
        call    printf
        xor     ebx, ebx                ; BUG: the only copy of the pointer is gone, no free
.done:
        xor     eax, eax
        pop     rbx
        ret

        section .note.GNU-stack noalloc noexec nowrite progbits
